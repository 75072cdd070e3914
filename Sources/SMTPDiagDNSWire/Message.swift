import NIOCore

/// A whole DNS message (RFC 1035 §4.1). The OPT pseudo-record is lifted out of the additional
/// section into `edns`, and the full response code combines the header's four bits with OPT's eight.
public struct Message: Hashable, Sendable {
    public var header: Header
    public var questions: [Question]
    public var answers: [ResourceRecord]
    public var authorities: [ResourceRecord]
    /// The additional section without the OPT record.
    public var additionals: [ResourceRecord]
    public var edns: EDNS?
    /// The OPT record's owner name; RFC 6891 requires the root, kept to re-encode what was read.
    var optName: DomainName = .root

    public init(
        header: Header, questions: [Question] = [], answers: [ResourceRecord] = [],
        authorities: [ResourceRecord] = [], additionals: [ResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// A query for one question, as a stub resolver sends it.
    public static func query(
        id: UInt16, name: DomainName, type: RecordType, recordClass: RecordClass = .in,
        recursionDesired: Bool = true, edns: EDNS? = EDNS()
    ) -> Message {
        Message(
            header: Header(id: id, recursionDesired: recursionDesired),
            questions: [Question(name: name, type: type, recordClass: recordClass)], edns: edns)
    }

    /// The full 12-bit response code (RFC 6891 §6.1.3).
    public var rcode: ResponseCode {
        get { ResponseCode(rawValue: UInt16(edns?.extendedRcode ?? 0) << 4 | UInt16(header.rcodeLow)) }
        set {
            header.rcodeLow = UInt8(newValue.rawValue & 0x0F)
            if newValue.rawValue > 0x0F {
                if edns == nil { edns = EDNS() }
                edns?.extendedRcode = UInt8((newValue.rawValue >> 4) & 0xFF)
            } else {
                edns?.extendedRcode = 0
            }
        }
    }

    // MARK: - Decoding

    /// Decodes one message that fills `buffer`'s readable bytes exactly; bytes after the last counted
    /// record are an error. The buffer is consumed on success.
    public static func decode(from buffer: inout ByteBuffer) throws(DNSWireError) -> Message {
        var reader = WireReader(message: buffer)
        let message = try decode(reader: &reader)
        if reader.remaining > 0 { throw .trailingBytes(offset: reader.offset, count: reader.remaining) }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return message
    }

    /// Decodes a message from bytes.
    public static func decode(bytes: some Sequence<UInt8>) throws(DNSWireError) -> Message {
        var buffer = ByteBuffer(bytes: Array(bytes))
        return try decode(from: &buffer)
    }

    /// Reads only the 12-octet header, for matching a response to its query before the full parse.
    public static func peekHeader(_ buffer: ByteBuffer) -> Header? {
        guard let id = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            let flags = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self)
        else { return nil }
        return Header(id: id, flags: flags)
    }

    static func decode(reader: inout WireReader) throws(DNSWireError) -> Message {
        let id = try reader.readUInt16("header.id")
        let flags = try reader.readUInt16("header.flags")
        let qd = Int(try reader.readUInt16("header.qdcount"))
        let an = Int(try reader.readUInt16("header.ancount"))
        let ns = Int(try reader.readUInt16("header.nscount"))
        let ar = Int(try reader.readUInt16("header.arcount"))
        // Every question takes at least 5 octets and every record 11: refuse counts the rest cannot hold
        // before reserving anything for them.
        let minimum = qd * 5 + (an + ns + ar) * 11
        guard minimum <= reader.remaining else {
            throw .truncated(
                field: "sections counted in the header", offset: reader.offset, needed: minimum - reader.remaining)
        }
        var message = Message(header: Header(id: id, flags: flags))
        message.questions.reserveCapacity(qd)
        for i in 0..<qd {
            let name = try reader.readName("question[\(i)].name")
            let type = RecordType(rawValue: try reader.readUInt16("question[\(i)].type"))
            let cls = RecordClass(rawValue: try reader.readUInt16("question[\(i)].class"))
            message.questions.append(Question(name: name, type: type, recordClass: cls))
        }
        message.answers.reserveCapacity(an)
        for i in 0..<an {
            let start = reader.offset
            let rr = try ResourceRecord.decode(from: &reader, section: "answer[\(i)]")
            if rr.type == .opt {
                throw .invalidField(
                    field: "answer[\(i)].type", offset: start, reason: "OPT outside the additional section")
            }
            message.answers.append(rr)
        }
        message.authorities.reserveCapacity(ns)
        for i in 0..<ns {
            let start = reader.offset
            let rr = try ResourceRecord.decode(from: &reader, section: "authority[\(i)]")
            if rr.type == .opt {
                throw .invalidField(
                    field: "authority[\(i)].type", offset: start, reason: "OPT outside the additional section")
            }
            message.authorities.append(rr)
        }
        message.additionals.reserveCapacity(ar)
        for i in 0..<ar {
            let start = reader.offset
            let rr = try ResourceRecord.decode(from: &reader, section: "additional[\(i)]")
            if case .opt(let opt) = rr.rdata {
                // RFC 6891 §6.1.1: at most one OPT, owned by the root.
                guard message.edns == nil else {
                    throw .invalidField(field: "additional[\(i)]", offset: start, reason: "a second OPT record")
                }
                message.edns = EDNS(recordClass: rr.recordClass, ttl: rr.ttl, options: opt.options)
                message.optName = rr.name
            } else {
                message.additionals.append(rr)
            }
        }
        return message
    }

    // MARK: - Encoding

    /// Encodes the message, compressing names when `compress`.
    /// Writes the query for one question: the octets `Message.query(...).encode()` gives, without building the
    /// message (a query a DNS question, tens of thousands in a run).
    public static func encodeQuery(
        id: UInt16, question: Question, recursionDesired: Bool, edns: EDNS?, to writer: inout WireWriter
    ) throws(DNSWireError) {
        writer.write(id)
        writer.write(Header(id: id, recursionDesired: recursionDesired).flags)
        writer.write(UInt16(1))
        writer.write(UInt16(0))
        writer.write(UInt16(0))
        writer.write(UInt16(edns == nil ? 0 : 1))
        writer.write(bytes: question.name.wire)
        writer.write(question.type.rawValue)
        writer.write(question.recordClass.rawValue)
        if let edns {
            let opt = ResourceRecord(
                name: .root, recordClass: RecordClass(rawValue: edns.udpPayloadSize), ttl: edns.ttl,
                rdata: .opt(OPT(options: edns.options)))
            try opt.encode(to: &writer, compress: false)
        }
    }

    public func encode(compress: Bool = true) throws(DNSWireError) -> ByteBuffer {
        // Room for a query and most answers at once: growing from an empty buffer reallocated it several
        // times a query (measured: five reallocations a query of a fleet run).
        var writer = WireWriter(buffer: ByteBufferAllocator().buffer(capacity: 512))
        try encode(to: &writer, compress: compress)
        return writer.buffer
    }

    public func encode(to writer: inout WireWriter, compress: Bool = true) throws(DNSWireError) {
        let start = writer.offset
        writer.write(header.id)
        writer.write(header.flags)
        let additionalCount = additionals.count + (edns == nil ? 0 : 1)
        let largest = max(questions.count, answers.count, authorities.count, additionalCount)
        guard largest <= 0xFFFF else { throw .messageTooLarge(size: largest) }
        writer.write(UInt16(questions.count))
        writer.write(UInt16(answers.count))
        writer.write(UInt16(authorities.count))
        writer.write(UInt16(additionalCount))
        for q in questions {
            writer.write(name: q.name, compress: compress)
            writer.write(q.type.rawValue)
            writer.write(q.recordClass.rawValue)
        }
        for rr in answers { try rr.encode(to: &writer, compress: compress) }
        for rr in authorities { try rr.encode(to: &writer, compress: compress) }
        for rr in additionals { try rr.encode(to: &writer, compress: compress) }
        if let edns {
            let opt = ResourceRecord(
                name: optName, recordClass: RecordClass(rawValue: edns.udpPayloadSize), ttl: edns.ttl,
                rdata: .opt(OPT(options: edns.options)))
            try opt.encode(to: &writer, compress: compress)
        }
        let size = writer.offset - start
        guard size <= 0xFFFF else { throw .messageTooLarge(size: size) }
    }
}
