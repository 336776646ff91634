// Package live speaks the Gemini Live API ("BidiGenerateContent" over a WebSocket): typed client
// and server messages, the dial and setup handshake, one reader and one writer per socket
// (Session), the per-model setup rules (BuildSetup, from the catalog), and the conversation loop
// that joins a microphone, a speaker and a shared screen to a session and keeps it alive across
// goAways and dropped connections (Conversation). It takes its own Config, in the protocol's
// words; the app maps its saved settings onto it elsewhere (package call).
//
// # Every server message field, and what the client does with it
//
// A server message may carry several fields at once; the receiver looks at every one (never
// "else if"). Tests named below are in this package unless a path says otherwise.
//
//	field                                    handled                                                      tested in
//	setupComplete                            ends the handshake; anything else first is an error          TestDialErrors, TestSessionFramesAndMessages
//	setupComplete.sessionId                  kept (SetupComplete), not used                               TestDecodeServerMessages
//	serverContent.modelTurn.parts[].inlineData  audio: resampled to 24 kHz from the rate its MIME type     TestConversationSpokenTurn, TestModelAudioAtItsOwnRate
//	                                         names (8–192 kHz; others dropped with one warning a turn),
//	                                         played with the turn's generation
//	serverContent.modelTurn.parts[].text     with output transcription on: held for the turn and shown    TestTextPartsAndTranscriptionMerge
//	                                         only if no transcription of the speech came; off: shown
//	serverContent.modelTurn.parts[].thought  EventThought (diagnostics)                                   TestDecodeServerMessages
//	serverContent.outputTranscription        the model's transcript (deltas)                              TestConversationSpokenTurn
//	serverContent.inputTranscription         the user's transcript (deltas)                               TestConversationSpokenTurn
//	serverContent.interimInputTranscription  decoded, not shown (transcribe models; the final one is)     TestDecodeServerMessages
//	serverContent.interrupted                speaker cleared at once, queued audio dropped, the turn      TestConversationBargeIn, TestOneTurnOneEnd
//	                                         ends (once)
//	serverContent.generationComplete         ends the turn (some models never send turnComplete)         TestOneTurnOneEnd
//	serverContent.turnComplete               ends the turn unless an earlier signal did                   TestOneTurnOneEnd, TestConversationSpokenTurn
//	serverContent.turnCompleteReason         a warning in words (a note for NEED_MORE_INPUT)              livetest (sent), TestDecodeServerMessages
//	serverContent.waitingForInput            decoded, shown in diagnostics only                           TestDecodeServerMessages
//	serverContent.interactionStatus          decoded, shown in diagnostics only                           TestDecodeServerMessages
//	serverContent.groundingMetadata          web sources (EventSources)                                   TestDecodeServerMessages
//	serverContent.urlContextMetadata         kept raw, not used                                           TestDecodeServerMessages
//	toolCall.functionCalls[]                 run locally; blocking or not as the setup declared it;      TestConversationToolCall, TestBlockingDecidedFromTheSetup,
//	                                         no audio or video while a blocking call is unanswered;      TestConversationNonBlockingScheduling, TestToolResponseNeverNull,
//	                                         answered with the call's id, response never null,           TestSnapshotAfterItsResponse
//	                                         scheduling only for NON_BLOCKING; a snapshot's image
//	                                         follows its response
//	toolCallCancellation.ids                 the call is cancelled and never answered                     TestConversationToolCancellation
//	goAway.timeLeft                          a timer replaces the connection before the deadline (at     TestConversationGoAwayLosesNoAudio
//	                                         once when the model is idle with a fresh handle); no audio
//	                                         lost
//	sessionResumptionUpdate                  the newest resumable handle is kept; empty or               TestConversationGoAwayLosesNoAudio, TestNotFoundAfterToolResponseResumes
//	                                         non-resumable updates are ignored
//	usageMetadata                            a per-response report: summed (prompt includes the          TestUsageIsSummedPerResponse
//	                                         context), priced from the catalog as an estimate
//	voiceActivity, voiceActivityDetectionSignal  decoded, shown in diagnostics only                       TestDecodeServerMessages
//	error (in-band)                          ends the conversation with the server's words, no retry     TestInBandErrorEndsTheSession
//	(close frame) 1007                       permanent: shown with a hint, no reconnect                   TestCloseErrorMapping, TestConversationPermanentErrorsDoNotRetry
//	(close frame) 1008 not found             permanent during setup or when it names the model;          TestNotFoundPermanence, TestNotFoundAfterToolResponseResumes
//	                                         otherwise the session is resumed
//	(close frame) 1008 session not found     a new session starts, with a warning                         TestCloseErrorMapping
//	(close frame) 1011, 1006, others         reconnect with backoff and resume                            TestConversationReconnectsAfterDrop
//	(malformed frame)                        a warning; the session goes on                               TestConversationMalformedServerMessage, TestDecodeMalformed
package live
