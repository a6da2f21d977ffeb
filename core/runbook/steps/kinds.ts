/**
 * The step kinds: one line per kind, each the module that holds all of it
 * (./kind.ts). Nothing else lists them: ./registry.ts, the parser, the
 * JSON Schema, the README's step table and the tests read this module's
 * exports, so every export here must be a kind.
 */
export { addActionItem } from './add-action-item';
export { addBookmark } from './add-bookmark';
export { addUsers } from './add-users';
export { archiveChannel } from './archive-channel';
export { createChannel } from './create-channel';
export { createPostmortem } from './create-postmortem';
export { createThread } from './create-thread';
export { pinMessage } from './pin-message';
export { requestApproval } from './request-approval';
export { scheduleMessage } from './schedule-message';
export { sendMessage } from './send-message';
export { setTopic } from './set-topic';
export { updateMessage } from './update-message';
export { uploadFile } from './upload-file';
export { wait } from './wait';
