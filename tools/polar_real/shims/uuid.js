// Stand-in for npm's uuid (Polar 1.x's Hashcodes.createRandomID: uuid.v4()).
const crypto = require('crypto');
const v4 = () => crypto.randomUUID();
module.exports = { v4, v1: v4, default: { v4, v1: v4 } };
