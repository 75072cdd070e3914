import Foundation
import SMTPDiagDNSWire

/// A problem in a master file, where it is: `zones/example.test.zone:12:9: ...`.
public struct ZoneFileError: Error, Hashable, Sendable, CustomStringConvertible, Comparable {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "\(file):\(line):\(column): error: \(message)" }

    public static func < (a: ZoneFileError, b: ZoneFileError) -> Bool {
        (a.file, a.line, a.column, a.message) < (b.file, b.line, b.column, b.message)
    }
}

/// Why a file could not be read, or a name not parsed, in words.
public struct ZoneFileProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What a master file's reader may open: `$INCLUDE` goes through it (tests give files in memory).
public protocol ZoneFileReader: Sendable {
    /// The file's bytes, at most `limit` of them (more is an error the caller reports), or why not.
    func read(_ path: String, limit: Int) -> Result<[UInt8], ZoneFileProblem>
    /// The path `included` names, relative to the folder of `includer`.
    func resolve(_ included: String, from includer: String) -> String
}

/// Files on disk.
public struct DiskZoneFileReader: ZoneFileReader {
    public init() {}

    public func read(_ path: String, limit: Int) -> Result<[UInt8], ZoneFileProblem> {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(ZoneFileProblem("cannot read \(path)"))
        }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit + 1) else {
            return .failure(ZoneFileProblem("cannot read \(path)"))
        }
        return .success(Array(data))
    }

    public func resolve(_ included: String, from includer: String) -> String {
        if included.hasPrefix("/") { return included }
        let folder = URL(fileURLWithPath: includer).deletingLastPathComponent()
        return folder.appendingPathComponent(included).standardizedFileURL.path
    }
}

/// An RFC 1035 5.1 master file read into records: `$ORIGIN`, `$TTL`, `$INCLUDE` (relative to the including
/// file, at most `maxIncludeDepth` deep, no loops), parentheses, comments, `@`, relative names, an omitted owner
/// (the previous one), TTL and class in either order or omitted, escapes, quoted strings, every type the codec
/// knows and RFC 3597's `\# LENGTH HEX`. Every error of every file is kept, with its place.
public struct MasterFile {
    public static let maxFileSize = 64 << 20
    public static let maxIncludeDepth = 8
    /// Records over all files of one source: more is an error, not a slow run.
    public static let maxRecords = 500_000
    public static let defaultTTL: UInt32 = 3600

    public private(set) var records: [ResourceRecord] = []
    public private(set) var errors: [ZoneFileError] = []
    let reader: any ZoneFileReader
    var budget: Int

    /// Reads `path` with `origin` as the initial origin (the file name's zone when the file sets none).
    public init(
        path: String, origin: DomainName, reader: any ZoneFileReader = DiskZoneFileReader(),
        budget: Int = MasterFile.maxRecords
    ) {
        self.reader = reader
        self.budget = budget
        var stack: [String] = []
        read(path, origin: origin, ttl: nil, depth: 0, stack: &stack, at: nil)
    }

    mutating func error(_ file: String, _ line: Int, _ column: Int, _ message: String) {
        if errors.count < 1000 {
            errors.append(ZoneFileError(file: file, line: line, column: column, message: message))
        }
    }

    /// A token of an entry: its text (escapes still in it), whether it was quoted, where it starts.
    struct Token {
        var raw: [UInt8]
        var quoted: Bool
        var line: Int
        var column: Int
        var text: String { String(decoding: raw, as: UTF8.self) }
    }

    /// One entry: the tokens of a line, or of lines joined by parentheses; `blankOwner` when its first line
    /// starts with white space.
    struct Entry {
        var tokens: [Token] = []
        var blankOwner = false
        var line = 0
    }

    /// Splits a file into entries; errors (an unbalanced parenthesis, an open quote) are noted and the entry
    /// is dropped.
    mutating func entries(_ bytes: [UInt8], _ file: String) -> [Entry] {
        var out: [Entry] = []
        var entry = Entry()
        var token: Token?
        var depth = 0
        var line = 1
        var column = 1
        var i = 0
        var inQuotes = false
        var comment = false
        var atLineStart = true
        var broken = false
        func finishToken() {
            if let t = token { entry.tokens.append(t) }
            token = nil
        }
        func finishEntry() {
            finishToken()
            if !entry.tokens.isEmpty && !broken { out.append(entry) }
            entry = Entry()
            broken = false
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x0A {
                if inQuotes {
                    error(file, line, column, "a quoted string is not closed on its line")
                    inQuotes = false
                    token = nil
                    broken = true
                }
                comment = false
                if depth == 0 { finishEntry() } else { finishToken() }
                line += 1
                column = 1
                i += 1
                atLineStart = true
                continue
            }
            defer {}
            if comment {
                i += 1
                column += 1
                continue
            }
            if atLineStart && depth == 0 && entry.tokens.isEmpty && token == nil {
                entry.line = line
                entry.blankOwner = c == 0x20 || c == 0x09
            }
            atLineStart = false
            if inQuotes {
                if c == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] != 0x0A {
                    token?.raw += [c, bytes[i + 1]]
                    i += 2
                    column += 2
                    continue
                }
                if c == UInt8(ascii: "\"") {
                    inQuotes = false
                    finishToken()
                } else {
                    token?.raw.append(c)
                }
                i += 1
                column += 1
                continue
            }
            switch c {
            case 0x20, 0x09, 0x0D:
                finishToken()
            case UInt8(ascii: ";"):
                finishToken()
                comment = true
            case UInt8(ascii: "("):
                finishToken()
                depth += 1
            case UInt8(ascii: ")"):
                finishToken()
                if depth == 0 {
                    error(file, line, column, "a ) with no ( before it")
                    broken = true
                } else {
                    depth -= 1
                }
            case UInt8(ascii: "\""):
                finishToken()
                token = Token(raw: [], quoted: true, line: line, column: column)
                inQuotes = true
            case UInt8(ascii: "\\"):
                if token == nil { token = Token(raw: [], quoted: false, line: line, column: column) }
                token?.raw.append(c)
                if i + 1 < bytes.count, bytes[i + 1] != 0x0A {
                    token?.raw.append(bytes[i + 1])
                    i += 1
                    column += 1
                }
            default:
                if token == nil { token = Token(raw: [], quoted: false, line: line, column: column) }
                token?.raw.append(c)
            }
            i += 1
            column += 1
        }
        if inQuotes { error(file, line, column, "a quoted string is not closed at the end of the file") }
        if depth > 0 { error(file, line, column, "a ( is not closed at the end of the file") }
        if depth == 0 && !inQuotes { finishEntry() }
        return out
    }

    /// A TTL: seconds, or BIND's units (`1h30m`, `2d`, `1w`), at most 2^31 - 1 (RFC 2181 8).
    static func ttl(_ text: String) -> UInt32? {
        if let n = UInt32(text), n <= Int32.max { return n }
        var total: UInt64 = 0
        var digits: UInt64 = 0
        var sawDigit = false
        for c in text.lowercased() {
            if let d = c.wholeNumberValue, c.isASCII {
                digits = digits * 10 + UInt64(d)
                sawDigit = true
                if digits > UInt64(Int32.max) { return nil }
                continue
            }
            let unit: UInt64
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            case "w": unit = 604_800
            default: return nil
            }
            guard sawDigit else { return nil }
            total += digits * unit
            digits = 0
            sawDigit = false
            if total > UInt64(Int32.max) { return nil }
        }
        guard !sawDigit, total > 0 || text.hasPrefix("0") else { return nil }
        return UInt32(total)
    }

    /// A name as a master file writes it: `@`, absolute, or relative to `origin`.
    static func name(_ token: Token, origin: DomainName) -> Result<DomainName, ZoneFileProblem> {
        let text = token.text
        do {
            return .success(try DomainName(parsing: text, origin: origin))
        } catch {
            return .failure(ZoneFileProblem("\"\(text)\" is not a domain name: \(error)"))
        }
    }

    mutating func read(
        _ path: String, origin start: DomainName, ttl startTTL: UInt32?, depth: Int, stack: inout [String],
        at includer: (String, Int, Int)?
    ) {
        func fail(_ message: String) {
            if let (f, l, c) = includer { error(f, l, c, message) } else { error(path, 0, 0, message) }
        }
        guard depth <= Self.maxIncludeDepth else {
            fail("$INCLUDE nested more than \(Self.maxIncludeDepth) deep")
            return
        }
        guard !stack.contains(path) else {
            fail("$INCLUDE loop: \(path) includes itself (through \(stack.joined(separator: " -> ")))")
            return
        }
        let bytes: [UInt8]
        switch reader.read(path, limit: Self.maxFileSize) {
        case .failure(let why):
            fail(why.reason)
            return
        case .success(let b):
            guard b.count <= Self.maxFileSize else {
                fail("\(path) is over \(Self.maxFileSize >> 20) MB")
                return
            }
            bytes = b
        }
        stack.append(path)
        defer { stack.removeLast() }
        var origin = start
        var defaultTTL = startTTL
        var lastTTL: UInt32?
        var owner: DomainName?
        for entry in entries(bytes, path) {
            var tokens = entry.tokens[...]
            guard let first = tokens.first else { continue }
            func err(_ t: Token, _ message: String) { error(path, t.line, t.column, message) }
            if !entry.blankOwner, !first.quoted, first.raw.first == UInt8(ascii: "$") {
                let args = Array(tokens.dropFirst())
                switch first.text.uppercased() {
                case "$ORIGIN":
                    guard args.count == 1 else {
                        err(first, "$ORIGIN takes one name")
                        continue
                    }
                    switch Self.name(args[0], origin: origin) {
                    case .success(let n): origin = n
                    case .failure(let why): err(args[0], why.reason)
                    }
                case "$TTL":
                    guard args.count == 1, let t = Self.ttl(args[0].text) else {
                        err(first, "$TTL takes one TTL (seconds, or units such as 1h)")
                        continue
                    }
                    defaultTTL = t
                case "$INCLUDE":
                    guard (1...2).contains(args.count) else {
                        err(first, "$INCLUDE takes a file name and an optional origin")
                        continue
                    }
                    var includeOrigin = origin
                    if args.count == 2 {
                        switch Self.name(args[1], origin: origin) {
                        case .success(let n): includeOrigin = n
                        case .failure(let why):
                            err(args[1], why.reason)
                            continue
                        }
                    }
                    let target = reader.resolve(args[0].text, from: path)
                    // The included file changes neither the origin nor the TTL of the rest of this one.
                    read(
                        target, origin: includeOrigin, ttl: defaultTTL, depth: depth + 1, stack: &stack,
                        at: (path, first.line, first.column))
                default:
                    err(first, "unknown directive \(first.text) (known: $ORIGIN, $TTL, $INCLUDE)")
                }
                continue
            }
            // The owner: the previous one when the entry starts with white space.
            if !entry.blankOwner {
                tokens = tokens.dropFirst()
                switch Self.name(first, origin: origin) {
                case .success(let n): owner = n
                case .failure(let why):
                    err(first, why.reason)
                    continue
                }
            }
            guard let owner else {
                err(first, "a record with no owner, and no record before it to take one from")
                continue
            }
            // [TTL] [CLASS] TYPE, or [CLASS] [TTL] TYPE.
            var ttl: UInt32?
            var sawClass = false
            var type: RecordType?
            var typeToken: Token?
            while let t = tokens.first, type == nil {
                tokens = tokens.dropFirst()
                let upper = t.text.uppercased()
                if !t.quoted, ttl == nil, let v = Self.ttl(t.text),
                    t.raw.first.map({ (0x30...0x39).contains($0) }) == true
                {
                    ttl = v
                } else if !sawClass && (upper == "IN" || upper == "CLASS1") {
                    sawClass = true
                } else if !sawClass && ["CH", "HS", "CS", "NONE", "ANY"].contains(upper) || upper.hasPrefix("CLASS") {
                    err(t, "class \(t.text): only IN is served")
                    type = nil
                    typeToken = nil
                    tokens = tokens.dropFirst(tokens.count)
                    break
                } else if let rt = RecordType(t.text) {
                    type = rt
                    typeToken = t
                } else {
                    err(t, "\(t.text) is not a TTL, a class or a record type this reader knows")
                    tokens = tokens.dropFirst(tokens.count)
                }
            }
            guard let type, let typeToken else {
                if tokens.isEmpty && typeToken == nil && errorsAreEmptyFor(entry) { err(first, "no record type") }
                continue
            }
            let rdataText = tokens.map { $0.quoted ? "\"" + $0.text + "\"" : $0.text }.joined(separator: " ")
            let rdata: RData
            do {
                rdata = try RData(type: type, presentation: rdataText, origin: origin)
            } catch {
                err(tokens.first ?? typeToken, "\(type) data: \(error)")
                continue
            }
            if let ttl { lastTTL = ttl }
            let effective = ttl ?? defaultTTL ?? lastTTL ?? Self.defaultTTL
            guard budget > 0 else {
                err(typeToken, "more than \(Self.maxRecords) records; the rest are not read")
                return
            }
            budget -= 1
            records.append(ResourceRecord(name: owner, ttl: effective, rdata: rdata))
        }
    }

    /// Whether no error was noted for this entry yet (one error an entry is enough).
    func errorsAreEmptyFor(_ entry: Entry) -> Bool {
        !errors.contains { $0.line == entry.line }
    }
}
