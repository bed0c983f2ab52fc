import { createHash, randomBytes } from "node:crypto";
import { Sha256 } from "./sha256";

const node = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("incremental SHA-256", () => {
  it("matches the FIPS 180-4 vectors", () => {
    expect(new Sha256().update(new Uint8Array()).hex()).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(new Sha256().update(new TextEncoder().encode("abc")).hex()).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    const twoBlocks = new TextEncoder().encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    expect(new Sha256().update(twoBlocks).hex()).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it.each([0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_000])("equals node's digest of %i bytes", (n) => {
    const data = randomBytes(n);
    expect(new Sha256().update(data).hex()).toBe(node(data));
  });

  it("gives the same digest however the input is cut into chunks", () => {
    const data = randomBytes(300_000);
    for (const cut of [1, 7, 63, 64, 65, 4096, 99_999]) {
      const h = new Sha256();
      for (let i = 0; i < data.length; i += cut) h.update(data.subarray(i, i + cut));
      expect(h.hex()).toBe(node(data));
    }
  });
});
