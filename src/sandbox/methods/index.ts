/** Every Web API method the sandbox serves, by name. */
import type { MethodHandler } from '../method-context';
import { authMethods } from './auth';
import { bookmarkMethods } from './bookmarks';
import { chatMethods } from './chat';
import { conversationMethods } from './conversations';
import { directoryMethods } from './directory';
import { fileMethods } from './files';
import { oauthMethods } from './oauth';
import { pinMethods } from './pins';
import { reactionMethods } from './reactions';
import { viewMethods } from './views';

export const METHOD_HANDLERS: Record<string, MethodHandler> = {
  ...authMethods,
  ...bookmarkMethods,
  ...chatMethods,
  ...conversationMethods,
  ...directoryMethods,
  ...fileMethods,
  ...oauthMethods,
  ...pinMethods,
  ...reactionMethods,
  ...viewMethods,
};
