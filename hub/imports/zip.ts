/**
 * Just enough of the ZIP format to hand exceljs's streaming reader a well-ordered, minimal workbook.
 *
 * exceljs's WorkbookReader reads the archive front to back. When a worksheet comes before the shared strings (as
 * Excel itself writes them), it spools the worksheet to a temporary file, which would put customers' ID numbers in
 * plain text on disk and leaves the file behind if reading stops early; when the styles come after the worksheet,
 * date cells are not recognised as dates. `slimXlsx` therefore rewrites the uploaded archive (already in memory)
 * into one holding only what is read, in the order it is needed: the workbook relationships, the workbook, the
 * styles, the shared strings (an empty table when the workbook has none) and the first worksheet (in tab order).
 * The workbook, the shared strings and the worksheet are inflated, rewritten in ASCII (see `asciiXml`) and deflated
 * again; the other entries are copied byte for byte. The central directory gives the uncompressed
 * sizes, checked against a limit before anything is inflated.
 */

import { posix } from "node:path";
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8 = 0x0800;
const STORED = 0;
const DEFLATED = 8;

/** Why an archive cannot be used; `tooLarge` separates a size limit from a broken or foreign file. */
export class ZipProblem extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
    this.name = "ZipProblem";
  }
}

export interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
  /** Where the entry's local record (header, data, data descriptor) ends: the next record or the directory. */
  recordEnd: number;
  /** Its central directory record as found. */
  central: Buffer;
}

/** The entries listed in an archive's central directory. Throws ZipProblem for anything but a plain ZIP. */
export function readZipDirectory(zip: Buffer): ZipEntry[] {
  const end = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  const directorySize = zip.readUInt32LE(end + 12);
  const directoryOffset = zip.readUInt32LE(end + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    throw new ZipProblem("ZIP64 archives are not supported", true);
  }
  if (directoryOffset + directorySize > end) throw new ZipProblem("central directory out of bounds");

  const entries: ZipEntry[] = [];
  let p = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || zip.readUInt32LE(p) !== CENTRAL_HEADER)
      throw new ZipProblem("broken central directory");
    const flags = zip.readUInt16LE(p + 8);
    const nameLength = zip.readUInt16LE(p + 28);
    const length = 46 + nameLength + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    if (p + length > end) throw new ZipProblem("broken central directory");
    const compressedSize = zip.readUInt32LE(p + 20);
    const uncompressedSize = zip.readUInt32LE(p + 24);
    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff) {
      throw new ZipProblem("ZIP64 entries are not supported", true);
    }
    entries.push({
      name: zip.toString(flags & FLAG_UTF8 ? "utf8" : "latin1", p + 46, p + 46 + nameLength),
      flags,
      method: zip.readUInt16LE(p + 10),
      compressedSize,
      uncompressedSize,
      localOffset: zip.readUInt32LE(p + 42),
      recordEnd: directoryOffset,
      central: zip.subarray(p, p + length),
    });
    p += length;
  }

  const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 0; i < byOffset.length; i++) {
    const entry = byOffset[i];
    entry.recordEnd = i + 1 < byOffset.length ? byOffset[i + 1].localOffset : directoryOffset;
    if (entry.localOffset + 30 > entry.recordEnd || zip.readUInt32LE(entry.localOffset) !== LOCAL_HEADER) {
      throw new ZipProblem(`broken local header of ${entry.name}`);
    }
    if (dataStart(zip, entry) + entry.compressedSize > entry.recordEnd) {
      throw new ZipProblem(`entry ${entry.name} out of bounds`);
    }
  }
  return entries;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  const lowest = Math.max(0, zip.length - 22 - 0xffff);
  for (let p = zip.length - 22; p >= lowest; p--) {
    if (zip.readUInt32LE(p) === END_OF_CENTRAL_DIRECTORY && p + 22 + zip.readUInt16LE(p + 20) <= zip.length) {
      return p;
    }
  }
  throw new ZipProblem("not a ZIP archive (no end of central directory)");
}

function dataStart(zip: Buffer, entry: ZipEntry): number {
  return (
    entry.localOffset +
    30 +
    zip.readUInt16LE(entry.localOffset + 26) +
    zip.readUInt16LE(entry.localOffset + 28)
  );
}

function checkReadable(entry: ZipEntry): void {
  if (entry.flags & FLAG_ENCRYPTED) throw new ZipProblem(`${entry.name} is encrypted`);
  if (entry.method !== STORED && entry.method !== DEFLATED) {
    throw new ZipProblem(`${entry.name} uses unsupported compression method ${entry.method}`);
  }
}

/** The uncompressed bytes of a (small) entry. */
export function readEntry(zip: Buffer, entry: ZipEntry, maxBytes: number): Buffer {
  checkReadable(entry);
  if (entry.uncompressedSize > maxBytes) throw new ZipProblem(`${entry.name} is too large`, true);
  const start = dataStart(zip, entry);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === STORED) return data;
  try {
    return inflateRawSync(data, { maxOutputLength: maxBytes });
  } catch (error) {
    throw new ZipProblem(`${entry.name} cannot be inflated: ${(error as Error).message}`);
  }
}

interface OutputEntry {
  name: string;
  /** An entry of the input archive, copied as it is (renamed when `name` differs), or new content (deflated). */
  source: ZipEntry | Buffer;
}

/** A new archive of the given entries, in the given order. */
export function writeZip(zip: Buffer, entries: readonly OutputEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, source } of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    let local: Buffer;
    let central: Buffer;
    if (Buffer.isBuffer(source)) {
      [local, central] = newEntry(nameBytes, source);
    } else {
      const start = source.localOffset;
      const localNameLength = zip.readUInt16LE(start + 26);
      const header = Buffer.from(zip.subarray(start, start + 30));
      header.writeUInt16LE(nameBytes.length, 26);
      header.writeUInt16LE(header.readUInt16LE(6) | FLAG_UTF8, 6);
      local = Buffer.concat([
        header,
        nameBytes,
        zip.subarray(start + 30 + localNameLength, source.recordEnd),
      ]);
      const centralNameLength = source.central.readUInt16LE(28);
      const centralHeader = Buffer.from(source.central.subarray(0, 46));
      centralHeader.writeUInt16LE(nameBytes.length, 28);
      centralHeader.writeUInt16LE(centralHeader.readUInt16LE(8) | FLAG_UTF8, 8);
      central = Buffer.concat([centralHeader, nameBytes, source.central.subarray(46 + centralNameLength)]);
    }
    central.writeUInt32LE(offset, 42);
    offset += local.length;
    locals.push(local);
    centrals.push(central);
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * Local header and central record of new content, deflated (fast level: exceljs reads stored entries several times
 * slower than deflated ones), dated 1980-01-01.
 */
function newEntry(name: Buffer, data: Buffer): [Buffer, Buffer] {
  const crc = crc32(data) >>> 0;
  const packed = deflateRawSync(data, { level: 1 });
  const local = Buffer.alloc(30);
  local.writeUInt32LE(LOCAL_HEADER, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(FLAG_UTF8, 6);
  local.writeUInt16LE(DEFLATED, 8);
  local.writeUInt16LE(0x21, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(packed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(CENTRAL_HEADER, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(FLAG_UTF8, 8);
  central.writeUInt16LE(DEFLATED, 10);
  central.writeUInt16LE(0x21, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(packed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  return [Buffer.concat([local, name, packed]), Buffer.concat([central, name])];
}

// ---------------------------------------------------------------------------------------------------------------
// XLSX

const WORKBOOK = "xl/workbook.xml";
const WORKBOOK_RELS = "xl/_rels/workbook.xml.rels";
const STYLES = "xl/styles.xml";
const SHARED_STRINGS = "xl/sharedStrings.xml";
const FIRST_SHEET = "xl/worksheets/sheet1.xml";
/** Limit for the small XML parts read here (workbook and its relationships). */
const SMALL_PART_MAX = 16 * 1024 * 1024;
const EMPTY_SHARED_STRINGS = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>',
  "utf8",
);

const SHEET_TAG = /<(?:[\w.-]+:)?sheet\s([^>]*)>/;
const RELATIONSHIP_TAG = /<(?:[\w.-]+:)?Relationship\s([^>]*)>/g;

const ATTRIBUTE = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** The attributes of an XML start tag, by qualified name. */
function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of tag.matchAll(ATTRIBUTE)) found.set(match[1], decodeXmlAttribute(match[2] ?? match[3]));
  return found;
}

/** The relationship id of a <sheet>: `r:id`, whatever the namespace prefix is called. */
function relationshipId(sheet: Map<string, string>): string | undefined {
  for (const [name, value] of sheet) if (name.endsWith(":id")) return value;
  return undefined;
}

function decodeXmlAttribute(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function resolvePart(target: string): string {
  return target.startsWith("/") ? target.slice(1) : posix.normalize(`xl/${target}`);
}

const CDATA = /<!\[CDATA\[([\s\S]*?)\]\]>/g;
const NON_ASCII = /[^\p{ASCII}]/gu;

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The same XML document in pure ASCII: every other character as a numeric character reference (CDATA sections
 * first turned into escaped text, where references are read). exceljs's streaming reader decodes each inflated
 * chunk as UTF-8 on its own, so a Chinese character split across two chunks came out as "���" (exceljs issues
 * #2063, #2084); in ASCII no character can be split.
 */
export function asciiXml(xml: Buffer): Buffer {
  let text = xml.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes("<![CDATA[")) text = text.replace(CDATA, (_, inner: string) => escapeText(inner));
  return Buffer.from(
    text.replace(NON_ASCII, (ch) => `&#${ch.codePointAt(0)};`),
    "latin1",
  );
}

export interface SlimXlsx {
  zip: Buffer;
  /** The first worksheet's name in tab order, for messages. */
  sheetName: string;
}

/**
 * The minimal, well-ordered archive described at the top of this file. Throws ZipProblem when the buffer is not a
 * readable XLSX workbook, or when the parts to read are larger than `maxUncompressed` bytes once inflated.
 */
export function slimXlsx(zip: Buffer, maxUncompressed: number): SlimXlsx {
  const entries = readZipDirectory(zip);
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const workbook = byName.get(WORKBOOK);
  const rels = byName.get(WORKBOOK_RELS);
  if (!workbook || !rels) throw new ZipProblem("a ZIP archive but not an XLSX workbook (no xl/workbook.xml)");

  const sheetTag = SHEET_TAG.exec(readEntry(zip, workbook, SMALL_PART_MAX).toString("utf8"));
  if (!sheetTag) throw new ZipProblem("the workbook has no worksheet");
  const sheetAttributes = attributes(sheetTag[1]);
  const sheetName = sheetAttributes.get("name") ?? "";
  const sheetRelation = relationshipId(sheetAttributes);

  const targets = new Map<string, string>();
  let stylesPart = STYLES;
  let sharedStringsPart = SHARED_STRINGS;
  const relsXml = readEntry(zip, rels, SMALL_PART_MAX).toString("utf8");
  for (const match of relsXml.matchAll(RELATIONSHIP_TAG)) {
    const relationship = attributes(match[1]);
    const id = relationship.get("Id");
    const type = relationship.get("Type") ?? "";
    const target = relationship.get("Target");
    if (id === undefined || target === undefined) continue;
    targets.set(id, resolvePart(target));
    if (type.endsWith("/styles")) stylesPart = resolvePart(target);
    if (type.endsWith("/sharedStrings")) sharedStringsPart = resolvePart(target);
  }
  const sheetPart = sheetRelation === undefined ? undefined : targets.get(sheetRelation);
  const sheet = sheetPart === undefined ? undefined : byName.get(sheetPart);
  if (!sheet) throw new ZipProblem("the first worksheet is missing from the archive");
  const styles = byName.get(stylesPart);
  const sharedStrings = byName.get(sharedStringsPart);

  const parts = [rels, workbook, styles, sharedStrings, sheet].filter((e): e is ZipEntry => e !== undefined);
  let total = 0;
  for (const part of parts) {
    checkReadable(part);
    total += part.uncompressedSize;
  }
  if (total > maxUncompressed) {
    throw new ZipProblem(`${total} bytes once uncompressed, more than the limit of ${maxUncompressed}`, true);
  }

  // The parts holding people's text are inflated and made pure ASCII (see asciiXml); the others are copied as-is.
  const ascii = (entry: ZipEntry) => asciiXml(readEntry(zip, entry, maxUncompressed));
  const output: OutputEntry[] = [
    { name: WORKBOOK_RELS, source: rels },
    { name: WORKBOOK, source: ascii(workbook) },
  ];
  if (styles) output.push({ name: STYLES, source: styles });
  output.push({ name: SHARED_STRINGS, source: sharedStrings ? ascii(sharedStrings) : EMPTY_SHARED_STRINGS });
  output.push({ name: FIRST_SHEET, source: ascii(sheet) });
  return { zip: writeZip(zip, output), sheetName };
}
