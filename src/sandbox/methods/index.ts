/** Every Web API method the sandbox serves, by name. */
import type { MethodHandler } from '../method-context';
import { chatMethods } from './chat';
import { conversationMethods } from './conversations';
import { directoryMethods } from './directory';
import { fileMethods } from './files';
import { miscMethods } from './misc';

export const METHOD_HANDLERS: Record<string, MethodHandler> = {
  ...chatMethods,
  ...conversationMethods,
  ...directoryMethods,
  ...fileMethods,
  ...miscMethods,
};
