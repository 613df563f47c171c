/**
 * The audible half of the cue on a new critical alert (China GSP asks for sound and light alarms):
 * two short tones made with Web Audio, so there is no sound file to fetch. Browsers allow sound only
 * after the reader interacted with the page; signing in counts.
 */
let context: AudioContext | null = null;

export function soundAlarm() {
  try {
    context ??= new AudioContext();
    void context.resume();
    const start = context.currentTime;
    for (const offset of [0, 0.35]) {
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.type = 'square';
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.25);
      tone.connect(gain).connect(context.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.3);
    }
  } catch {
    // No audio device: the visible cue stands alone.
  }
}
