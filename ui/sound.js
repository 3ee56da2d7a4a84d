// Short tones for the counter (Web Audio, no sound files): a good scan, a refused one, a paid
// sale. The page marks the last one (`data-last-sound`) so a test can tell them apart.

const TONES = {
  good: [[1400, 0.06]],
  bad: [[220, 0.12], [180, 0.16]],
  paid: [[880, 0.09], [1320, 0.18]],
};

let audio = null;

export function beep(kind) {
  document.body.dataset.lastSound = kind;
  document.body.dataset.sounds = String(Number(document.body.dataset.sounds || 0) + 1);
  try {
    audio = audio || new AudioContext();
    let at = audio.currentTime;
    for (const [hz, seconds] of TONES[kind]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = hz;
      osc.type = kind === "bad" ? "square" : "sine";
      gain.gain.setValueAtTime(0.15, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + seconds);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + seconds);
      at += seconds;
    }
  } catch (_) {
    // A PC without a sound device: the screen says it all the same.
  }
}
