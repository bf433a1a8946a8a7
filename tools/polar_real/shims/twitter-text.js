// Stand-in for npm's twitter-text: only isValidHashtag, as Polar's Tags calls it.
const v = (s) => /^#[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}][\p{L}\p{M}\p{N}_]*$/u.test(s);
module.exports = { isValidHashtag: v, default: { isValidHashtag: v } };
