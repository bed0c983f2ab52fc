/*
 * The tests' and the bench's hands inside a page, installed by test/support/browser.ts (addInitScript) on every
 * document of a browser context before the page's own scripts run. Plain browser JavaScript on purpose: the
 * TypeScript projects that drive it are Node-only (no DOM lib), so they reach it as `globalThis.drTest` with the
 * `PageDriver` interface of browser.ts.
 *
 * It only observes and calls the element's public surface (methods, properties, `dr-*` events); the one
 * exception, `idbTakeSha256`, reads the element's IndexedDB store to hash a take independently of the element.
 */
(() => {
  if (window.drTest) return;

  const EVENT_NAMES = [
    "dr-state-change",
    "dr-step",
    "dr-risk-mismatch",
    "dr-upload-progress",
    "dr-submitted",
    "dr-error",
  ];
  const events = [];
  const plain = (value) => {
    try {
      return JSON.parse(JSON.stringify(value ?? null));
    } catch {
      return String(value);
    }
  };
  // Capture phase on window: the events are composed, and a host page stopping them must not hide them here.
  for (const name of EVENT_NAMES) {
    window.addEventListener(
      name,
      (e) => events.push({ name, detail: plain(e.detail), at: performance.now(), wall: Date.now() }),
      true,
    );
  }

  // Main-thread tasks over 50 ms, for the bench (what a teller would feel as a stutter).
  const longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch {
    /* not supported: the list stays empty */
  }

  const element = (tag) => {
    const el = document.querySelector(tag || "dual-record");
    if (!el) throw new Error(`no <${tag || "dual-record"}> on ${location.pathname}`);
    return el;
  };
  const errorOf = (err) => ({
    name: err?.name ?? "Error",
    message: err?.message ?? String(err),
    code: err?.code ?? null,
  });
  const invoke = (method, args, tag) => {
    const el = element(tag);
    if (typeof el[method] !== "function") {
      throw new Error(`<${el.localName}> has no method ${method}() (is the element defined?)`);
    }
    return el[method](...(args || []));
  };
  const outcome = (promise) =>
    Promise.resolve(promise).then(
      (value) => ({ ok: true, value: plain(value) }),
      (err) => ({ ok: false, error: errorOf(err) }),
    );
  const matches = (detail, match) =>
    !match || Object.entries(match).every(([k, v]) => JSON.stringify(detail?.[k]) === JSON.stringify(v));

  /** Every element below `root`, through open shadow roots. */
  const deepAll = (root, selector) => {
    const found = [...root.querySelectorAll(selector)];
    for (const el of root.querySelectorAll("*"))
      if (el.shadowRoot) found.push(...deepAll(el.shadowRoot, selector));
    return found;
  };

  /** Whether a video or canvas shows a real picture now: a 16×9 sample of it is not one flat colour. */
  const probe = document.createElement("canvas");
  probe.width = 16;
  probe.height = 9;
  const probeCtx = probe.getContext("2d", { willReadFrequently: true });
  const showsPicture = (source) => {
    if (source instanceof HTMLVideoElement && (source.readyState < 2 || !source.videoWidth)) return false;
    if (source instanceof HTMLCanvasElement && (!source.width || !source.height)) return false;
    try {
      probeCtx.clearRect(0, 0, 16, 9);
      probeCtx.drawImage(source, 0, 0, 16, 9);
      const px = probeCtx.getImageData(0, 0, 16, 9).data;
      let min = 255;
      let max = 0;
      for (let i = 0; i < px.length; i += 4) {
        const luma = (px[i] * 299 + px[i + 1] * 587 + px[i + 2] * 114) / 1000;
        min = Math.min(min, luma);
        max = Math.max(max, luma);
      }
      return max - min > 24;
    } catch {
      return false; // a tainted or not yet drawable source
    }
  };

  const running = new Map();
  let nextId = 1;

  window.drTest = {
    events: (from = 0) => events.slice(from),
    now: () => performance.now(),
    longTasks: (since = 0) => longTasks.filter((t) => t.start >= since),
    count: () => events.length,
    /** The first `name` event at index ≥ `from` whose detail has the fields of `match`, with its index. */
    find(name, from = 0, match = null) {
      for (let i = from; i < events.length; i++) {
        if (events[i].name === name && matches(events[i].detail, match)) return { index: i, ...events[i] };
      }
      return null;
    },
    call: (method, args, tag) => outcome(Promise.resolve().then(() => invoke(method, args, tag))),
    /** Calls without waiting; `result(id)` says how it ended, null while it runs. */
    begin(method, args, tag) {
      const id = nextId++;
      const entry = { done: null };
      entry.promise = outcome(Promise.resolve().then(() => invoke(method, args, tag))).then(
        (r) => (entry.done = r),
      );
      running.set(id, entry);
      return id;
    },
    result: (id) => running.get(id)?.done ?? null,
    get: (prop, tag) => plain(element(tag)[prop]),
    setAttr(name, value, tag) {
      if (value === null) element(tag).removeAttribute(name);
      else element(tag).setAttribute(name, String(value));
    },

    /** Hex SHA-256 of the chunks the element stored for `takeId` ("dual-record" DB, chunks keyed [takeId, offset]). */
    async idbTakeSha256(takeId) {
      const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open("dual-record");
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      try {
        if (!db.objectStoreNames.contains("chunks"))
          throw new Error('IndexedDB "dual-record" has no "chunks" store');
        const rows = await new Promise((resolve, reject) => {
          const req = db
            .transaction("chunks")
            .objectStore("chunks")
            .getAll(IDBKeyRange.bound([takeId, 0], [takeId, Number.MAX_SAFE_INTEGER]));
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        const blob = new Blob(rows.map((r) => r.data));
        const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
        const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
        return { sha256: hex, size: blob.size, chunks: rows.length };
      } finally {
        db.close();
      }
    },

    /**
     * Calls start() and times, from the call, the first animation frame in which a <video> or <canvas> inside the
     * element (its `part="preview"` when it names one) shows a real picture.
     */
    async startToFirstPreviewFrame(tag, timeoutMs = 20000) {
      const el = element(tag);
      const t0 = performance.now();
      const started = outcome(Promise.resolve().then(() => invoke("start", [], tag)));
      const firstMs = await new Promise((resolve) => {
        const tick = () => {
          const now = performance.now();
          if (now - t0 > timeoutMs) return resolve(null);
          const root = el.shadowRoot || el;
          const named = deepAll(root, '[part~="preview"]');
          const pool = named.length ? named : deepAll(root, "video, canvas");
          const candidates = pool.flatMap((n) =>
            n.matches("video, canvas") ? [n] : deepAll(n, "video, canvas"),
          );
          if (candidates.some(showsPicture)) return resolve(now - t0);
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      return { firstFrameMs: firstMs, start: await started };
    },

    /**
     * The camera as a plain page sees it: getUserMedia at `width`×`height`, shown in a <video>; the time to its
     * first frame, then the frames presented over `seconds` (requestVideoFrameCallback).
     */
    async referenceCamera(width, height, seconds) {
      const video = document.createElement("video");
      video.muted = true;
      video.playsInline = true;
      video.style.width = "640px";
      document.body.append(video);
      const t0 = performance.now();
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: { ideal: width }, height: { ideal: height } },
      });
      video.srcObject = stream;
      await video.play();
      const firstFrameMs = await new Promise((resolve) =>
        video.requestVideoFrameCallback(() => resolve(performance.now() - t0)),
      );
      const frames = await new Promise((resolve) => {
        let count = 0;
        let first = null;
        const onFrame = (_now, meta) => {
          first ??= meta.presentedFrames;
          count = meta.presentedFrames - first;
          if (performance.now() - t0 - firstFrameMs < seconds * 1000)
            video.requestVideoFrameCallback(onFrame);
          else resolve(count);
        };
        video.requestVideoFrameCallback(onFrame);
      });
      const settings = stream.getVideoTracks()[0].getSettings();
      for (const track of stream.getTracks()) track.stop();
      video.remove();
      return { firstFrameMs, fps: frames / seconds, width: settings.width, height: settings.height };
    },

    /**
     * The least a recorder must do, for comparison: camera → canvas (drawn on a timer at `fps`, each frame handed
     * to the stream) with the microphone → MediaRecorder (VP8/Opus, 1 Mbps, 1 s chunks kept in memory) for
     * `seconds`. No watermark, storage or upload. Answers the recording as base64.
     */
    async referenceRecorder(width, height, fps, seconds) {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: { ideal: width }, height: { ideal: height } },
      });
      const video = document.createElement("video");
      video.muted = true;
      video.srcObject = stream;
      await video.play();
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.style.width = "640px";
      document.body.append(canvas);
      const ctx = canvas.getContext("2d", { alpha: false });
      // captureStream(fps) drops a drawn frame that comes a little early; hand over each frame explicitly instead.
      const [videoTrack] = canvas.captureStream(0).getVideoTracks();
      const interval = 1000 / fps;
      let next = performance.now();
      let timer = 0;
      const draw = () => {
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
        videoTrack.requestFrame();
        next = Math.max(next + interval, performance.now());
        timer = setTimeout(draw, Math.max(0, next - performance.now()));
      };
      draw();
      const tracks = [videoTrack, ...stream.getAudioTracks()];
      const recorder = new MediaRecorder(new MediaStream(tracks), {
        mimeType: 'video/webm;codecs="vp8,opus"',
        videoBitsPerSecond: 1_000_000,
      });
      const chunks = [];
      recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
      const stopped = new Promise((resolve) => (recorder.onstop = resolve));
      recorder.start(1000);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      recorder.stop();
      await stopped;
      clearTimeout(timer);
      for (const track of stream.getTracks()) track.stop();
      canvas.remove();
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
      let binary = "";
      for (let i = 0; i < bytes.length; i += 0x8000) {
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      }
      return btoa(binary);
    },
  };
})();
