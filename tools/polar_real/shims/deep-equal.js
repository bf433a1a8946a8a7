// Stand-in for npm's deep-equal (loose): Node's own deep comparison.
module.exports = (a, b) => require('util').isDeepStrictEqual(a, b);
module.exports.default = module.exports;
