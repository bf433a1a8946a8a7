// The drivers' clock (not npm's): Polar stamps every object with "now", so a
// clock stepped 1.5 s per call makes a library read like one made over a
// session (and ids made from {fields, created} differ).
function startClock(iso) {
  let clock = Date.parse(iso);
  const RealDate = Date;
  const now = () => (clock += 1500);
  class ClockDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) { super(now()); } else { super(...args); }
    }
  }
  RealDate.now = now;
  ClockDate.now = now;
  global.Date = ClockDate;
}
module.exports = { startClock };
