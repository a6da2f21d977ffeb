# Signalroom: one image for the worker, the server and the CLI.
# The Node of .node-version (CI's): the minimum package.json's engines allow, 22 LTS.
FROM node:22.23.3-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY core ./core
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY runbooks ./runbooks
COPY tsconfig.json ./
USER node
# No V8 memory reducer: it runs a full collection once a process goes quiet, and the next click or
# step waits it out (26-50 ms; bench/README.md, Findings). `npm start` runs the same way, and
# src/worker.ts turns it off for the workflow threads of any process that runs a worker.
ENTRYPOINT ["node", "--no-memory-reducer", "bin/signalroom.js"]
CMD ["--help"]
