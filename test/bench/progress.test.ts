import { expect } from "chai";
import { formatElapsed, formatProgress, ProgressDisplay, progressMode, type ProgressSnapshot } from "../../src/bench/progress.js";

const SNAP: ProgressSnapshot = { phase: "letters", total: 2000, accepted: 1500, refused: 0, sendt: 1400, delivered: 1300, levert: 1200, failed: 0, elapsedMs: 60_000 };

class FakeStream {
  text = "";
  columns: number | undefined = undefined;
  write(t: string) {
    this.text += t;
    return true;
  }
}

describe("bench: progress display", () => {
  it("formats elapsed time as m:ss or h:mm:ss", () => {
    expect(formatElapsed(0)).to.equal("0:00");
    expect(formatElapsed(7_900)).to.equal("0:07");
    expect(formatElapsed(754_000)).to.equal("12:34");
    expect(formatElapsed(3_723_000)).to.equal("1:02:03");
  });

  it("shows accepted, SENDT, delivered and LEVERT counts with rates and elapsed time", () => {
    expect(formatProgress(SNAP)).to.equal("letters  accepted 1500/2000 (25.0/s)  SENDT 1400  delivered 1300  LEVERT 1200 (20.0/s)  1:00");
  });

  it("freezes the accepted rate once posting ended, and shows refusals and feil only when there are any", () => {
    const line = formatProgress({ ...SNAP, accepted: 1990, refused: 10, failed: 3, postingEndedMs: 10_000, sendt: undefined });
    expect(line).to.equal("letters  accepted 1990/2000 (199/s)  delivered 1300  LEVERT 1200 (20.0/s)  refused 10  feil 3  1:00");
  });

  it("names a channel run's counts by its statuses, with its final status after the delivered one", () => {
    const line = formatProgress({ phase: "messages", total: 200, accepted: 150, refused: 0, delivered: 120, deliveredLabel: "taken by corner 3", levert: 110, levertLabel: "MOTTATT", final: { label: "LEVERT", n: 100 }, failed: 0, elapsedMs: 10_000 });
    expect(line).to.equal("messages  accepted 150/200 (15.0/s)  taken by corner 3 120  MOTTATT 110 (11.0/s)  LEVERT 100  0:10");
  });

  it("is off with --quiet, one updating line on a terminal, plain lines otherwise", () => {
    expect(progressMode(true, true)).to.equal("off");
    expect(progressMode(false, true)).to.equal("tty");
    expect(progressMode(false, false)).to.equal("lines");
  });

  it("rewrites its line in place on a terminal and ends it when stopped", () => {
    const s = new FakeStream();
    const d = new ProgressDisplay(s, "tty", 60_000);
    d.start(() => SNAP);
    d.stop();
    expect(s.text.startsWith("\r\x1b[2Kletters  accepted 1500/2000")).to.equal(true);
    expect(s.text.endsWith("\n")).to.equal(true);
    expect(s.text.split("\n").length).to.equal(2);
  });

  it("clips the line to the terminal width so \\r can rewrite all of it", () => {
    const s = new FakeStream();
    s.columns = 30;
    const d = new ProgressDisplay(s, "tty", 60_000);
    d.start(() => SNAP);
    d.stop();
    for (const drawn of s.text.split("\r\x1b[2K").slice(1)) expect(drawn.trimEnd().length).to.be.lessThan(30);
  });

  it("puts notes on lines of their own above the progress line", () => {
    const s = new FakeStream();
    const d = new ProgressDisplay(s, "tty", 60_000);
    d.start(() => SNAP);
    d.note("warm-up done");
    d.stop();
    expect(s.text).to.include("\r\x1b[2Kwarm-up done\n");
  });

  it("writes whole lines when stderr is not a terminal, and nothing when off", () => {
    const lines = new FakeStream();
    const d = new ProgressDisplay(lines, "lines", 60_000);
    d.start(() => SNAP);
    d.stop();
    expect(lines.text).to.equal(`${formatProgress(SNAP)}\n`);
    expect(lines.text).not.to.include("\r");

    const off = new FakeStream();
    const q = new ProgressDisplay(off, "off");
    q.start(() => SNAP);
    q.note("hello");
    q.stop();
    expect(off.text).to.equal("");
  });
});
