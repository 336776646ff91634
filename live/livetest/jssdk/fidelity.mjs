// Drives the official JS SDK (@google/genai, pinned in package.json) against a
// running livetest fake: a full audio turn, a tool call, a resumption and a
// barge-in. The fake must pace its audio and answer "tell me a long story" with
// a long reply (see jssdk_test.go).
// Usage: node fidelity.mjs http://127.0.0.1:PORT
// Exits 0 when everything matched, 1 with a message on the first mismatch.
import { GoogleGenAI, Modality } from "@google/genai";

const baseUrl = process.argv[2];
if (!baseUrl || !baseUrl.startsWith("http://")) {
  console.error("usage: node fidelity.mjs http://127.0.0.1:PORT");
  process.exit(2);
}
const TIMEOUT_MS = 20000;

function fail(msg) {
  console.error("FIDELITY MISMATCH: " + msg);
  process.exit(1);
}

function check(cond, msg) {
  if (!cond) fail(msg);
}

// A session whose messages can be awaited one by one.
async function open(ai, model, config) {
  const queue = [];
  let waiter = null;
  let closed = null;
  const push = (item) => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(item);
    } else {
      queue.push(item);
    }
  };
  // connect() resolves on setupComplete; a close before that rejects here.
  let connected = false;
  let rejectEarly;
  const early = new Promise((_, reject) => (rejectEarly = reject));
  const session = await Promise.race([
    ai.live.connect({
      model,
      config,
      callbacks: {
        onmessage: (m) => push({ m }),
        onerror: (e) => push({ error: e.message || String(e) }),
        onclose: (e) => {
          closed = { code: e.code, reason: e.reason };
          if (!connected) rejectEarly(closed);
          push({ closed });
        },
      },
    }),
    early,
  ]);
  connected = true;
  const next = () =>
    new Promise((resolve, reject) => {
      if (queue.length > 0) return resolve(queue.shift());
      const t = setTimeout(() => reject(new Error("timed out waiting for a message")), TIMEOUT_MS);
      waiter = (item) => {
        clearTimeout(t);
        resolve(item);
      };
    });
  return { session, next, closedInfo: () => closed };
}

// Collects one model turn up to turnComplete (or a toolCall when stopAtTool).
async function collectTurn(s, stopAtTool = false) {
  const turn = { audio: [], input: "", output: "", generationComplete: false, usage: null, toolCall: null, handle: "" };
  for (;;) {
    const item = await s.next();
    if (item.error) fail("socket error: " + item.error);
    if (item.closed) fail(`closed mid-turn: ${item.closed.code} ${item.closed.reason}`);
    const m = item.m;
    if (m.setupComplete) continue;
    if (m.usageMetadata) turn.usage = m.usageMetadata;
    if (m.sessionResumptionUpdate && m.sessionResumptionUpdate.resumable) turn.handle = m.sessionResumptionUpdate.newHandle;
    if (m.toolCall) {
      turn.toolCall = m.toolCall;
      if (stopAtTool) return turn;
    }
    const sc = m.serverContent;
    if (!sc) continue;
    for (const p of sc.modelTurn?.parts ?? []) {
      if (p.inlineData) {
        check(p.inlineData.mimeType === "audio/pcm;rate=24000", "audio MIME " + p.inlineData.mimeType);
        turn.audio.push(Buffer.from(p.inlineData.data, "base64"));
      }
    }
    if (sc.inputTranscription) turn.input += sc.inputTranscription.text ?? "";
    if (sc.outputTranscription) turn.output += sc.outputTranscription.text ?? "";
    if (sc.generationComplete) turn.generationComplete = true;
    if (sc.turnComplete) return turn;
  }
}

// 1.2 s of a voiced 150 Hz buzz with harmonics, then 1 s of silence: 16 kHz s16le.
function speech() {
  const rate = 16000;
  const n = Math.round(1.2 * rate);
  const buf = Buffer.alloc(2 * (n + rate));
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    let v = 0;
    for (let k = 1; k <= 8; k++) v += Math.sin(2 * Math.PI * 150 * k * t) / k;
    buf.writeInt16LE(Math.round(6000 * v), 2 * i);
  }
  return buf;
}

async function audioTurn(ai) {
  const s = await open(ai, "gemini-3.8-live", {
    responseModalities: [Modality.AUDIO],
    inputAudioTranscription: {},
    outputAudioTranscription: {},
    speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: "Puck" } } },
    contextWindowCompression: { triggerTokens: 2000, slidingWindow: { targetTokens: 1000 } },
    systemInstruction: "Be brief.",
  });
  const pcm = speech();
  for (let off = 0; off < pcm.length; off += 3200) {
    s.session.sendRealtimeInput({ audio: { data: pcm.subarray(off, off + 3200).toString("base64"), mimeType: "audio/pcm;rate=16000" } });
  }
  const t = await collectTurn(s);
  check(t.output === "I heard about 1.2 seconds of audio.", "output transcription: " + JSON.stringify(t.output));
  check(t.input.length > 0, "no input transcription");
  check(t.generationComplete, "no generationComplete before turnComplete");
  const audio = Buffer.concat(t.audio);
  check(audio.length > 24000, "model audio too short: " + audio.length + " bytes");
  let peak = 0;
  for (let i = 0; i + 1 < audio.length; i += 2) peak = Math.max(peak, Math.abs(audio.readInt16LE(i)));
  check(peak > 3000, "model audio is near silent (peak " + peak + ")");
  check(t.usage && t.usage.responseTokenCount > 0 && t.usage.promptTokenCount > 0, "usage " + JSON.stringify(t.usage));
  s.session.close();
  console.log("ok audio turn: " + audio.length + " bytes of model audio, transcript " + JSON.stringify(t.output));
}

async function toolCall(ai) {
  const s = await open(ai, "gemini-3.1-flash-live-preview", {
    responseModalities: [Modality.AUDIO],
    outputAudioTranscription: {},
    tools: [{ functionDeclarations: [{ name: "get_weather", description: "Weather for a city.", parameters: { type: "OBJECT", properties: { query: { type: "STRING" } } } }] }],
  });
  s.session.sendRealtimeInput({ text: "what does get_weather say for Paris" });
  let t = await collectTurn(s, true);
  check(t.toolCall && t.toolCall.functionCalls?.length === 1, "toolCall " + JSON.stringify(t.toolCall));
  const fc = t.toolCall.functionCalls[0];
  check(fc.name === "get_weather" && /^fc_\d+$/.test(fc.id), "function call " + JSON.stringify(fc));
  s.session.sendToolResponse({ functionResponses: [{ id: fc.id, name: fc.name, response: { output: "rain" } }] });
  t = await collectTurn(s);
  check(t.output === 'The get_weather tool returned {"output":"rain"}.', "after the tool response: " + JSON.stringify(t.output));
  s.session.close();
  console.log("ok tool call " + fc.id);
}

async function resumption(ai) {
  const cfg = { responseModalities: [Modality.AUDIO], sessionResumption: {} };
  const s = await open(ai, "gemini-3.8-live", cfg);
  s.session.sendRealtimeInput({ text: "remember me" });
  let t = await collectTurn(s);
  // The resumable update follows turnComplete.
  let handle = "";
  while (!handle) {
    const item = await s.next();
    if (item.m?.sessionResumptionUpdate?.resumable) handle = item.m.sessionResumptionUpdate.newHandle;
  }
  s.session.close();
  while (!s.closedInfo()) await s.next();

  const s2 = await open(ai, "gemini-3.8-live", { ...cfg, sessionResumption: { handle } });
  s2.session.sendRealtimeInput({ text: "still there?" });
  t = await collectTurn(s2);
  check(t.usage && t.usage.promptTokenCount > 3, "resumed session lost its history: " + JSON.stringify(t.usage));
  s2.session.close();

  // An unknown handle is refused with 1008 before setupComplete.
  const refused = await open(ai, "gemini-3.8-live", { ...cfg, sessionResumption: { handle: "no-such-handle" } }).then(
    () => null,
    (closed) => closed,
  );
  check(refused && refused.code === 1008 && refused.reason === "BidiGenerateContent session not found", "unknown handle: " + JSON.stringify(refused));
  console.log("ok resumption with " + handle);
}

// Barge-in: the fake runs with pacing, so the long story is still playing
// when speech arrives; the SDK must surface interrupted then turnComplete.
async function bargeIn(ai) {
  const s = await open(ai, "gemini-3.8-live", { responseModalities: [Modality.AUDIO] });
  s.session.sendRealtimeInput({ text: "tell me a long story" });
  for (;;) {
    const item = await s.next();
    if (item.closed || item.error) fail("barge-in: " + JSON.stringify(item));
    if (item.m?.serverContent?.modelTurn) break;
  }
  const pcm = speech();
  for (let off = 0; off < pcm.length; off += 3200) {
    s.session.sendRealtimeInput({ audio: { data: pcm.subarray(off, off + 3200).toString("base64"), mimeType: "audio/pcm;rate=16000" } });
  }
  let interrupted = false;
  let generationComplete = false;
  for (;;) {
    const item = await s.next();
    if (item.closed || item.error) fail("barge-in: " + JSON.stringify(item));
    const sc = item.m?.serverContent;
    if (!sc) continue;
    interrupted ||= !!sc.interrupted;
    generationComplete ||= !!sc.generationComplete;
    if (sc.turnComplete) break;
  }
  check(interrupted && !generationComplete, `barge-in: interrupted=${interrupted} generationComplete=${generationComplete}`);
  const t = await collectTurn(s); // the answer to the speech
  check(t.audio.length > 0, "no answer after the barge-in");
  s.session.close();
  console.log("ok barge-in");
}

async function main() {
  const ai = new GoogleGenAI({ apiKey: "test-key", httpOptions: { baseUrl } });
  await audioTurn(ai);
  await toolCall(ai);
  await resumption(ai);
  await bargeIn(ai);
  console.log("PASS");
  process.exit(0);
}

main().catch((e) => fail(e.stack || String(e)));
