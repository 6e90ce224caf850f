/**
 * The live socket of one conversation (`/ws/chat/{id}/`). Its events are applied to the cached
 * conversation (see `utils/chat-stream`), errors that belong to no reply become `problem`, and
 * every (re)connection refetches the conversation, since events sent while it was closed are
 * lost. A title the server gives the conversation renames it in the page and the list at once.
 * Sending prefers the socket and falls back to the REST endpoint when it is not open. Arena
 * comparisons (compare, vote) go over the same socket; their events update the cached battles.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';

import { ApiError } from '../../../lib/api-client';
import type { Contestants } from '../../../lib/model-choice';
import { ReconnectingSocket, type SocketStatus, socketUrl } from '../../../lib/ws';
import { battlesQueryKey, updateBattles, type Vote } from '../api/get-battles';
import { conversationQueryKey, renameConversation, updateMessages } from '../api/get-conversation';
import { conversationsQueryKey } from '../api/get-conversations';
import { quotaQueryKey } from '../api/get-quota';
import { sendMessage } from '../api/send-message';
import { applyBattleEvent, isBattleEvent } from '../utils/battle-stream';
import { applyChatEvent, type ChatProblem, isChatEvent, problemFrom } from '../utils/chat-stream';

export interface ChatSocket {
  status: SocketStatus;
  problem: ChatProblem | null;
  dismissProblem: () => void;
  send: (content: string) => Promise<boolean>;
  stop: () => boolean;
  regenerate: () => boolean;
  edit: (messageId: number, content: string) => boolean;
  /** Ask two models (versions or remote models) the same question at once (an arena battle). */
  compare: (content: string, contestants: Contestants) => boolean;
  vote: (battleId: number, vote: Vote) => boolean;
}

const NOT_CONNECTED: ChatProblem = {
  code: 'not_connected',
  message: 'Not connected to the chat server. Reconnecting; try again in a moment.',
  resetAt: null,
};

export function useChatSocket(
  conversationId: number,
  createSocket?: (url: string) => WebSocket,
): ChatSocket {
  const queryClient = useQueryClient();
  const [socket] = useState(
    () =>
      new ReconnectingSocket(socketUrl(`/ws/chat/${conversationId}/`), {
        createSocket,
      }),
  );
  const [problem, setProblem] = useState<ChatProblem | null>(null);
  const latestId = useRef(conversationId);
  useEffect(() => {
    latestId.current = conversationId;
  });

  useEffect(() => {
    const unsubscribe = socket.subscribe((message) => {
      if (isBattleEvent(message)) {
        updateBattles(queryClient, latestId.current, (battles) =>
          applyBattleEvent(battles, message),
        );
        return;
      }
      if (!isChatEvent(message)) return;
      const event = message;
      updateMessages(queryClient, latestId.current, (messages) => applyChatEvent(messages, event));
      if (event.type === 'title') {
        renameConversation(queryClient, event.conversation_id, event.title);
      }
      const found = problemFrom(event);
      if (found) setProblem(found);
      // A finished reply used tokens; the quota shown beside the chat should say so.
      if (event.type === 'done') void queryClient.invalidateQueries({ queryKey: quotaQueryKey });
    });
    const unsubscribeStatus = socket.subscribeStatus((status) => {
      if (status !== 'open') return;
      void queryClient.invalidateQueries({ queryKey: conversationQueryKey(latestId.current) });
      void queryClient.invalidateQueries({ queryKey: battlesQueryKey(latestId.current) });
    });
    socket.open();
    return () => {
      unsubscribe();
      unsubscribeStatus();
      socket.close();
    };
  }, [socket, queryClient]);

  const status = useSyncExternalStore(socket.subscribeStatus, socket.getStatus);

  function command(message: { type: string; [key: string]: unknown }): boolean {
    const sent = socket.send(message);
    setProblem(sent ? null : NOT_CONNECTED);
    return sent;
  }

  async function send(content: string): Promise<boolean> {
    if (socket.send({ type: 'send', content })) {
      setProblem(null);
      return true;
    }
    // The REST endpoint takes the message; the reply still streams once the socket is back.
    try {
      const { message, reply } = await sendMessage(conversationId, content);
      updateMessages(queryClient, conversationId, (messages) =>
        applyChatEvent(applyChatEvent(messages, { type: 'message', message }), {
          type: 'message',
          message: reply,
        }),
      );
      // The socket that would have told us of a new title is closed; ask for it.
      void queryClient.invalidateQueries({ queryKey: [...conversationsQueryKey, 'list'] });
      setProblem(null);
      return true;
    } catch (error) {
      setProblem({
        code: error instanceof ApiError ? error.code : 'error',
        message: error instanceof Error ? error.message : String(error),
        resetAt: null,
      });
      return false;
    }
  }

  return {
    status,
    problem,
    dismissProblem: () => setProblem(null),
    send,
    stop: () => command({ type: 'stop' }),
    regenerate: () => command({ type: 'regenerate' }),
    edit: (messageId, content) => command({ type: 'edit', message_id: messageId, content }),
    compare: (content, contestants) => command({ type: 'compare', content, ...contestants }),
    vote: (battleId, vote) => command({ type: 'vote', battle_id: battleId, vote }),
  };
}
