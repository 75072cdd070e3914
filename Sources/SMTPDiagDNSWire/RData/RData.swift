/// The RDATA of any record: one case per type this package knows, and `.unknown` (RFC 3597) for
/// every other type, so that an unfamiliar type never fails a message.
public enum RData: Hashable, Sendable, CustomStringConvertible {
    case a(A)
    case aaaa(AAAA)
    case ns(NS)
    case cname(CNAME)
    case ptr(PTR)
    case soa(SOA)
    case mx(MX)
    case txt(TXT)
    case srv(SRV)
    case caa(CAA)
    case tlsa(TLSA)
    case ds(DS)
    case dnskey(DNSKEY)
    case opt(OPT)
    case unknown(type: RecordType, data: [UInt8])

    public var type: RecordType {
        switch self {
        case .a: return .a
        case .aaaa: return .aaaa
        case .ns: return .ns
        case .cname: return .cname
        case .ptr: return .ptr
        case .soa: return .soa
        case .mx: return .mx
        case .txt: return .txt
        case .srv: return .srv
        case .caa: return .caa
        case .tlsa: return .tlsa
        case .ds: return .ds
        case .dnskey: return .dnskey
        case .opt: return .opt
        case .unknown(let type, _): return type
        }
    }

    var codable: (any RDataCodable)? {
        switch self {
        case .a(let v): return v
        case .aaaa(let v): return v
        case .ns(let v): return v
        case .cname(let v): return v
        case .ptr(let v): return v
        case .soa(let v): return v
        case .mx(let v): return v
        case .txt(let v): return v
        case .srv(let v): return v
        case .caa(let v): return v
        case .tlsa(let v): return v
        case .ds(let v): return v
        case .dnskey(let v): return v
        case .opt(let v): return v
        case .unknown: return nil
        }
    }

    /// Decodes `length` octets of RDATA of `type`, checking that the fields use exactly that many.
    public static func decode(type: RecordType, from reader: inout WireReader, length: Int) throws(DNSWireError)
        -> RData
    {
        let start = reader.offset
        guard length <= reader.remaining else {
            throw .truncated(field: "\(type).rdata", offset: start, needed: length - reader.remaining)
        }
        let value: RData
        switch type {
        case .a: value = .a(try A(from: &reader, length: length))
        case .aaaa: value = .aaaa(try AAAA(from: &reader, length: length))
        case .ns: value = .ns(try NS(from: &reader, length: length))
        case .cname: value = .cname(try CNAME(from: &reader, length: length))
        case .ptr: value = .ptr(try PTR(from: &reader, length: length))
        case .soa: value = .soa(try SOA(from: &reader, length: length))
        case .mx: value = .mx(try MX(from: &reader, length: length))
        case .txt: value = .txt(try TXT(from: &reader, length: length))
        case .srv: value = .srv(try SRV(from: &reader, length: length))
        case .caa: value = .caa(try CAA(from: &reader, length: length))
        case .tlsa: value = .tlsa(try TLSA(from: &reader, length: length))
        case .ds: value = .ds(try DS(from: &reader, length: length))
        case .dnskey: value = .dnskey(try DNSKEY(from: &reader, length: length))
        case .opt: value = .opt(try OPT(from: &reader, length: length))
        default: value = .unknown(type: type, data: try reader.readBytes(length, "\(type).rdata"))
        }
        let used = reader.offset - start
        guard used == length else {
            throw .rdataLength(type: type.description, offset: start, declared: length, used: used)
        }
        return value
    }

    /// Writes the RDATA; names are compressed only in the types RFC 3597 §4 names (NS, CNAME, PTR, SOA, MX).
    public func encode(to writer: inout WireWriter, compress: Bool) {
        switch self {
        case .unknown(_, let data):
            writer.write(bytes: data)
        default:
            // RFC 3597 §4: only the well-known types' RDATA names may be compressed.
            let wellKnown = type == .ns || type == .cname || type == .ptr || type == .soa || type == .mx
            codable?.encode(to: &writer, compress: compress && wellKnown)
        }
    }

    /// The uncompressed wire form of the RDATA alone.
    public var wireBytes: [UInt8] {
        var w = WireWriter()
        encode(to: &w, compress: false)
        return Array(w.buffer.readableBytesView)
    }

    /// Presentation format; `\# LEN HEX` (RFC 3597 §5) for unknown types.
    public var description: String {
        if case .unknown(_, let data) = self {
            return data.isEmpty ? "\\# 0" : "\\# \(data.count) \(Presentation.hex(data))"
        }
        return codable?.description ?? ""
    }

    /// Parses presentation format for `type`. The generic `\# LEN HEX` form is accepted for every
    /// type, and gives the typed value when the type is known.
    public init(type: RecordType, presentation text: String, origin: DomainName? = nil) throws(DNSWireError) {
        let tokens = try Presentation.tokenize(text, field: type.description)
        if let first = tokens.first, first.raw == "\\#", !first.quoted {
            guard tokens.count >= 2, let n = Int(tokens[1].raw) else {
                throw .presentation(field: type.description, text: text, reason: "expected \\# LENGTH HEX")
            }
            let data = try Presentation.hexBytes(tokens[2...].map(\.raw).joined(), field: type.description)
            guard data.count == n else {
                throw .presentation(
                    field: type.description, text: text, reason: "\\# says \(n) octets but the hex has \(data.count)")
            }
            var buffer = WireWriter()
            buffer.write(bytes: data)
            var reader = WireReader(message: buffer.buffer)
            self = try RData.decode(type: type, from: &reader, length: data.count)
            return
        }
        switch type {
        case .a: self = .a(try A(presentation: tokens, origin: origin))
        case .aaaa: self = .aaaa(try AAAA(presentation: tokens, origin: origin))
        case .ns: self = .ns(try NS(presentation: tokens, origin: origin))
        case .cname: self = .cname(try CNAME(presentation: tokens, origin: origin))
        case .ptr: self = .ptr(try PTR(presentation: tokens, origin: origin))
        case .soa: self = .soa(try SOA(presentation: tokens, origin: origin))
        case .mx: self = .mx(try MX(presentation: tokens, origin: origin))
        case .txt: self = .txt(try TXT(presentation: tokens, origin: origin))
        case .srv: self = .srv(try SRV(presentation: tokens, origin: origin))
        case .caa: self = .caa(try CAA(presentation: tokens, origin: origin))
        case .tlsa: self = .tlsa(try TLSA(presentation: tokens, origin: origin))
        case .ds: self = .ds(try DS(presentation: tokens, origin: origin))
        case .dnskey: self = .dnskey(try DNSKEY(presentation: tokens, origin: origin))
        case .opt: self = .opt(try OPT(presentation: tokens, origin: origin))
        default:
            throw .presentation(
                field: type.description, text: text, reason: "\(type) has no text form here; use \\# LENGTH HEX")
        }
    }
}
