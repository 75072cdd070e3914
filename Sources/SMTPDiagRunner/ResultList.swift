import NIOConcurrencyHelpers
import SMTPDiagPlan
import SMTPDiagSpec

/// The results of a run, in plan order. A run keeps them packed: the octets of what a result saw (its
/// message, expected and actual, evidence), with what its plan check already says (plan id, location,
/// domain, tags) taken from the check when the result is read. A passing check's result is then a few
/// dozen octets instead of a few hundred in separate allocations: the difference between a flat and a
/// growing memory use on fleets of thousands of domains.
public struct ResultList: RandomAccessCollection, Sendable, ExpressibleByArrayLiteral {
    enum Storage: Sendable {
        case array([CheckResult])
        case packed(PackedResults)
    }
    private var storage: Storage

    public init(_ results: [CheckResult]) { storage = .array(results) }
    public init(arrayLiteral results: CheckResult...) { storage = .array(results) }
    init(packed: PackedResults) { storage = .packed(packed) }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .array(let a): return a.count
        case .packed(let p): return p.count
        }
    }

    public subscript(i: Int) -> CheckResult {
        switch storage {
        case .array(let a): return a[i]
        case .packed(let p): return p.result(i)
        }
    }

    /// The status of result `i`, without reading the rest of it.
    public func status(at i: Int) -> CheckStatus {
        switch storage {
        case .array(let a): return a[i].status
        case .packed(let p): return p.status(i)
        }
    }

    /// Whether result `i` is advisory, without reading the rest of it.
    public func isAdvisory(at i: Int) -> Bool {
        switch storage {
        case .array(let a): return a[i].advisory
        case .packed(let p): return p.advisory(i)
        }
    }

    @discardableResult
    public mutating func remove(at i: Int) -> CheckResult {
        var all = Array(self)
        defer { storage = .array(all) }
        return all.remove(at: i)
    }
}

/// Packs results as they finish (in any order) and hands them out in plan order.
struct ResultPacker {
    /// Chunks of at most `chunkSize` octets (a larger result gets a chunk of its own): growing one array
    /// would copy everything at each doubling.
    static let chunkSize = 1 << 20
    private(set) var chunks: [[UInt8]] = []
    /// For each packed result, in the order packed: its check and where it starts.
    private(set) var owners: [Int32] = []
    private(set) var starts: [Int] = []
    private var current: [UInt8] = []

    init(expected: Int) {
        owners.reserveCapacity(expected)
        starts.reserveCapacity(expected)
        current.reserveCapacity(Self.chunkSize)
    }

    mutating func pack(_ r: CheckResult, check index: Int) {
        append([Self.encode(r, check: index)], check: index)
    }

    /// A result's octets, ready for `append`.
    static func encode(_ r: CheckResult, check index: Int) -> [UInt8] {
        var w = Writer()
        // Room for it all at once (growing from empty reallocated it three times a result): the texts, and
        // up to ten octets for each number and length.
        var size = 40 + r.message.utf8.count + (r.expected?.utf8.count ?? 0) + (r.actual?.utf8.count ?? 0)
        if r.id != r.planID { size += 30 + (r.id.server?.description.utf8.count ?? 0) }
        func add(_ list: [String]) { for t in list { size += 10 + t.utf8.count } }
        add(r.missing)
        add(r.extra)
        add(r.evidence.dns)
        add(r.evidence.smtp)
        for (k, v) in r.evidence.tls { size += 20 + k.utf8.count + v.utf8.count }
        w.bytes.reserveCapacity(size)
        w.encode(r, check: index)
        return w.bytes
    }

    /// Appends results of check `index` encoded by `encode`.
    mutating func append(_ encoded: [[UInt8]], check index: Int) {
        for bytes in encoded {
            if current.count + bytes.count > Self.chunkSize && !current.isEmpty {
                chunks.append(current)
                current = []
                current.reserveCapacity(max(Self.chunkSize, bytes.count))
            }
            owners.append(Int32(index))
            starts.append(chunks.count << 32 | current.count)
            current.append(contentsOf: bytes)
        }
    }

    /// The packed results in plan order: check by check, each check's results in the order packed. Checks
    /// numbered from `checks.count` on are `extra` (filtered out of the plan, reported after it).
    mutating func finish(checks: [Check], extra: [Check]) -> PackedResults {
        if !current.isEmpty {
            chunks.append(current)
            current = []
        }
        let n = checks.count + extra.count
        var offset = [Int](repeating: 0, count: n + 1)
        for o in owners { offset[Int(o) + 1] += 1 }
        for i in 0..<n { offset[i + 1] += offset[i] }
        var ordered = [Int](repeating: 0, count: starts.count)
        for (k, o) in owners.enumerated() {
            ordered[offset[Int(o)]] = starts[k]
            offset[Int(o)] += 1
        }
        owners = []
        starts = []
        return PackedResults(checks: checks, extra: extra, chunks: chunks, starts: ordered)
    }

    struct Writer {
        var bytes: [UInt8] = []

        mutating func int(_ v: Int) {
            var v = UInt64(bitPattern: Int64(v))
            while v >= 0x80 {
                bytes.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
        }

        mutating func string(_ s: String) {
            var s = s
            s.withUTF8 { u in
                int(u.count)
                bytes.append(contentsOf: u)
            }
        }

        /// A presence octet, then the string.
        mutating func optionalString(_ s: String?) {
            bytes.append(s == nil ? 0 : 1)
            if let s { string(s) }
        }

        mutating func strings(_ list: [String]) {
            int(list.count)
            for s in list { string(s) }
        }

        mutating func encode(_ r: CheckResult, check: Int) {
            int(check)
            let statusCode = CheckStatus.allCases.firstIndex(of: r.status) ?? 0
            bytes.append(UInt8(statusCode))
            var flags: PackedFlags = []
            if r.advisory { flags.insert(.advisory) }
            if r.expected != nil { flags.insert(.expected) }
            if r.actual != nil { flags.insert(.actual) }
            // A result's id differs from its check's only in the server (one NS address, one MX host).
            assert(r.id == r.planID || r.id.at(Endpoint(name: nil)) == r.planID.at(Endpoint(name: nil)))
            if r.id != r.planID { flags.insert(.ownServer) }
            // A passing check's message is often what it saw: the same text kept once.
            let actualIsMessage = r.actual == r.message
            if actualIsMessage { flags.insert(.actualIsMessage) }
            if r.unselected { flags.insert(.unselected) }
            bytes.append(flags.rawValue)
            let d = r.duration.components
            int(Int(d.seconds) * 1_000_000_000 + Int(d.attoseconds / 1_000_000_000))
            if r.id != r.planID {
                let e = r.id.server ?? Endpoint(name: nil)
                optionalString(e.name)
                optionalString(e.address)
                int((e.port ?? -1) + 1)
            }
            string(r.message)
            if let e = r.expected { string(e) }
            if let a = r.actual, !actualIsMessage { string(a) }
            strings(r.missing)
            strings(r.extra)
            strings(r.evidence.dns)
            strings(r.evidence.smtp)
            let tls = r.evidence.tls.sorted { $0.key < $1.key }
            int(tls.count)
            for (k, v) in tls {
                string(k)
                string(v)
            }
        }
    }
}

/// Results packed by `ResultPacker`, read back one at a time. Immutable.
final class PackedResults: Sendable {
    let checks: [Check]
    let extra: [Check]
    let chunks: [[UInt8]]
    /// Where each result starts, in plan order: chunk << 32 | offset.
    let starts: [Int]

    init(checks: [Check], extra: [Check], chunks: [[UInt8]], starts: [Int]) {
        self.checks = checks
        self.extra = extra
        self.chunks = chunks
        self.starts = starts
    }

    var count: Int { starts.count }

    func check(_ index: Int) -> Check { index < checks.count ? checks[index] : extra[index - checks.count] }

    func status(_ i: Int) -> CheckStatus {
        var r = Reader(chunks[starts[i] >> 32], at: starts[i] & 0xFFFF_FFFF)
        _ = r.int()
        return CheckStatus.allCases[Int(r.byte())]
    }

    func advisory(_ i: Int) -> Bool {
        var r = Reader(chunks[starts[i] >> 32], at: starts[i] & 0xFFFF_FFFF)
        _ = r.int()
        _ = r.byte()
        return r.byte() & 1 != 0
    }

    func result(_ i: Int) -> CheckResult {
        var r = Reader(chunks[starts[i] >> 32], at: starts[i] & 0xFFFF_FFFF)
        let index = r.int()
        let check = self.check(index)
        let status = CheckStatus.allCases[Int(r.byte())]
        let flags = PackedFlags(rawValue: r.byte())
        let duration = Duration.nanoseconds(r.int())
        var id = check.id
        if flags.contains(.ownServer) {
            let name = r.optionalString()
            let address = r.optionalString()
            let port = r.int() - 1
            id = check.id.at(Endpoint(name: name, address: address, port: port < 0 ? nil : port))
        }
        let message = r.string()
        let expected = flags.contains(.expected) ? r.string() : nil
        let actual = flags.contains(.actualIsMessage) ? message : flags.contains(.actual) ? r.string() : nil
        let missing = r.strings()
        let extra = r.strings()
        var evidence = Evidence()
        evidence.dns = r.strings()
        evidence.smtp = r.strings()
        for _ in 0..<r.int() {
            let k = r.string()
            evidence.tls[k] = r.string()
        }
        var result = CheckResult(
            id: id, planID: check.id, status: status, message: message, expected: expected, actual: actual,
            missing: missing, extra: extra, location: check.location, domainName: check.domain, tags: check.tags,
            duration: duration, evidence: evidence)
        result.advisory = flags.contains(.advisory)
        result.unselected = flags.contains(.unselected)
        return result
    }

    struct Reader {
        let bytes: [UInt8]
        var at: Int

        init(_ bytes: [UInt8], at: Int) {
            self.bytes = bytes
            self.at = at
        }

        mutating func byte() -> UInt8 {
            defer { at += 1 }
            return bytes[at]
        }

        mutating func int() -> Int {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = byte()
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            return Int(Int64(bitPattern: v))
        }

        mutating func string() -> String {
            let n = int()
            defer { at += n }
            return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
        }

        mutating func optionalString() -> String? { byte() == 1 ? string() : nil }

        mutating func strings() -> [String] {
            let n = int()
            return (0..<n).map { _ in string() }
        }
    }
}

/// What a packed result says about itself in one octet.
struct PackedFlags: OptionSet {
    let rawValue: UInt8
    static let advisory = PackedFlags(rawValue: 1)
    static let expected = PackedFlags(rawValue: 2)
    static let actual = PackedFlags(rawValue: 4)
    /// The result names its own server (an NS address, an MX host), not its check's.
    static let ownServer = PackedFlags(rawValue: 8)
    static let actualIsMessage = PackedFlags(rawValue: 16)
    static let unselected = PackedFlags(rawValue: 32)
}
