import NIOCore
import Testing

@testable import SMTPDiagDNSWire

/// Reads a name at `offset` of `bytes`, as a message would hold it.
func readName(_ bytes: [UInt8], at offset: Int = 0) throws(DNSWireError) -> DomainName {
    var reader = WireReader(message: ByteBuffer(bytes: bytes))
    reader.offset = offset
    return try reader.readName("name")
}

func bytes(_ s: String) -> [UInt8] { s.unicodeScalars.map { UInt8($0.value) } }

let maxPrintableLabel = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789x"
let longDomain: String = {
    let l49 = String(maxPrintableLabel.prefix(49))
    return String(maxPrintableLabel.prefix(53)) + "." + [l49, l49, l49, l49].joined(separator: ".")
}()
/// `longDomain` in wire form (without the final root octet).
let longDomainWire: [UInt8] = {
    var out: [UInt8] = []
    for label in longDomain.split(separator: ".") {
        out.append(UInt8(label.utf8.count))
        out += Array(label.utf8)
    }
    return out
}()

@Suite("Domain names: miekg/dns TestUnpackDomainName, ported")
struct UnpackDomainNameTests {
    @Test func emptyDomain() throws {
        #expect(try readName([0]).description == ".")
    }

    @Test func longLabel() throws {
        #expect(try readName([63] + bytes(maxPrintableLabel) + [0]).description == maxPrintableLabel + ".")
    }

    @Test func unprintableLabel() throws {
        let raw = (0..<63).map { UInt8($0 % 32) }
        let expected = raw.map { "\\" + String(repeating: "0", count: 3 - String($0).count) + String($0) }.joined()
        #expect(try readName([63] + raw + [0]).description == expected + ".")
    }

    @Test func longDomainOf255Octets() throws {
        let name = try readName(longDomainWire + [0])
        #expect(name.wire.count == 255)
        #expect(name.description == longDomain + ".")
    }

    @Test func pointerAtOffsetToBeforeOffset() throws {
        #expect(try readName(bytes("\u{07}example\u{03}com\u{00}\u{C0}\u{00}"), at: 13).description == "example.com.")
    }

    @Test func pointerAfterLabelToBeforeOffset() throws {
        let b = bytes("\u{07}example\u{03}com\u{00}\u{03}www\u{C0}\u{00}")
        #expect(try readName(b, at: 13).description == "www.example.com.")
    }

    @Test func pointerInsideLabel() throws {
        let b = bytes("\u{03}foo\u{05}\u{03}com\u{00}\u{07}example\u{C0}\u{05}")
        #expect(try readName(b).description == "foo.\\003com\\000.example.com.")
    }

    @Test func tooLongDomain() {
        let b = [54, UInt8(ascii: "x")] + longDomainWire.dropFirst() + [0]
        #expect(throws: DNSWireError.nameTooLong(offset: 0)) { try readName(Array(b)) }
    }

    @Test func tooLongByPointer() {
        let b: [UInt8] =
            [40, 37, 34, 31, 28, 25, 22, 19, 16, 13, 0] + Array(repeating: 120, count: 12)
            + [192, 10, 192, 9, 192, 8, 192, 7, 192, 6, 192, 5, 192, 4, 192, 3, 192, 2, 192, 1]
        #expect(throws: DNSWireError.nameTooLong(offset: 0)) { try readName(b) }
    }

    @Test func longByPointer() throws {
        let b: [UInt8] =
            [37, 34, 31, 28, 25, 22, 19, 16, 13, 10, 0] + Array(repeating: 120, count: 9)
            + [192, 10, 192, 9, 192, 8, 192, 7, 192, 6, 192, 5, 192, 4, 192, 3, 192, 2, 192, 1]
        let name = try readName(b)
        #expect(name.labelCount == 10)
        #expect(name.wire.count <= 255)
        #expect(name.description.hasPrefix(#"\"\031\028\025\022\019\016\013\010\000xxxxxxxxx\192\010"#))
        #expect(name.description.hasSuffix(#"\010\000xxxxxxxxx\192\010.\000xxxxxxxxx."#))
    }

    @Test func truncatedName() {
        #expect(throws: DNSWireError.self) { try readName(bytes("\u{07}example\u{03}")) }
    }

    @Test func nonAbsoluteName() {
        #expect(throws: DNSWireError.truncated(field: "name", offset: 12, needed: 1)) {
            try readName(bytes("\u{07}example\u{03}com"))
        }
    }

    @Test func pointerCycleMultipleLabels() {
        #expect(throws: DNSWireError.nameTooLong(offset: 0)) {
            try readName(bytes("\u{03}foo\u{03}bar\u{07}example\u{C0}\u{04}"))
        }
    }

    @Test func pointerCycleOneLabel() {
        #expect(throws: DNSWireError.nameTooLong(offset: 0)) { try readName(bytes("\u{07}example\u{C0}\u{00}")) }
    }

    @Test func pointerNotAdvancingStartOfPointer() {
        #expect(throws: DNSWireError.pointerNotBackwards(offset: 0, target: 0)) { try readName([0xC0, 0x00]) }
    }

    @Test func pointerNotAdvancingInsidePointer() {
        #expect(throws: DNSWireError.pointerNotBackwards(offset: 0, target: 1)) {
            try readName(bytes("\u{C0}\u{01}a\u{C0}\u{00}"))
        }
    }

    @Test func forwardPointer() {
        #expect(throws: DNSWireError.pointerNotBackwards(offset: 1, target: 0xFF)) {
            try readName([0x02, 0xC0, 0xFF, 0xC0, 0x01])
        }
    }

    @Test func reservedLabelType10() {
        #expect(throws: DNSWireError.reservedLabelType(offset: 8, byte: 0x80)) {
            try readName(bytes("\u{07}example\u{80}"))
        }
    }

    @Test func reservedLabelType01() {
        // A length octet of 64 or more is the 01 label type: on the wire a label cannot exceed 63.
        #expect(throws: DNSWireError.reservedLabelType(offset: 8, byte: 0x40)) {
            try readName(bytes("\u{07}example\u{40}"))
        }
    }

    @Test func lotsOfCompressionPointers() {
        var b = bytes("\u{07}example\u{03}com\u{00}\u{C0}\u{00}")
        for _ in 1..<200 {
            let target = b.count - 2
            b += [UInt8(0xC0 | (target >> 8)), UInt8(target & 0xFF)]
        }
        #expect(throws: DNSWireError.tooManyPointers(offset: b.count - 2)) { try readName(b, at: b.count - 2) }
    }
}

@Suite("Domain names: presentation format")
struct DomainNamePresentationTests {
    @Test(arguments: [
        "example.test.", ".", "a\\.b.example.", "\\000\\255.x.", "xn--bcher-kva.test.", "_25._tcp.mx1.example.test.",
    ])
    func roundTrip(_ text: String) throws {
        #expect(try DomainName(parsing: text).description == text)
    }

    @Test func escapesParse() throws {
        let name = try DomainName(parsing: "a\\.b.c\\065\\\\.")
        #expect(name.labels.map { Array($0) } == [Array("a.b".utf8), Array("cA\\".utf8)])
        #expect(name.description == "a\\.b.cA\\\\.")
    }

    @Test func caseInsensitiveEqualityAndHash() throws {
        let a = try DomainName(parsing: "MX1.Example.TEST.")
        let b = try DomainName(parsing: "mx1.example.test.")
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a.description == "MX1.Example.TEST.")
    }

    @Test func relativeNamesTakeTheOrigin() throws {
        let origin = try DomainName(parsing: "example.test.")
        #expect(try DomainName(parsing: "mx1", origin: origin).description == "mx1.example.test.")
        #expect(try DomainName(parsing: "mx1.other.", origin: origin).description == "mx1.other.")
        #expect(try DomainName(parsing: "@", origin: origin) == origin)
    }

    @Test func limits() {
        #expect(throws: DNSWireError.self) { try DomainName(parsing: String(repeating: "a", count: 64) + ".") }
        #expect(throws: DNSWireError.self) {
            try DomainName(parsing: Array(repeating: "abcdefghi", count: 26).joined(separator: ".") + ".")
        }
        #expect(throws: DNSWireError.self) { try DomainName(parsing: "a..b.") }
        #expect(throws: DNSWireError.self) { try DomainName(parsing: "a\\25") }
        #expect(throws: DNSWireError.self) { try DomainName(parsing: "a\\300.") }
        #expect(throws: DNSWireError.self) { try DomainName(parsing: "") }
        #expect((try? DomainName(parsing: String(repeating: "a", count: 63) + ".")) != nil)
    }

    @Test func subdomainAndOrder() throws {
        let zone = try DomainName(parsing: "example.test.")
        #expect(try DomainName(parsing: "MX1.example.test.").isSubdomain(of: zone))
        #expect(!(try DomainName(parsing: "example.testing.").isSubdomain(of: zone)))
        let sorted = try ["b.test.", "a.b.test.", "A.test.", "test."].map { try DomainName(parsing: $0) }.sorted()
        #expect(sorted.map(\.description) == ["test.", "A.test.", "b.test.", "a.b.test."])
    }

    @Test func compressionWritesPointersAndReadsBack() throws {
        var w = WireWriter()
        let a = try DomainName(parsing: "mx1.example.test.")
        let b = try DomainName(parsing: "MX2.EXAMPLE.test.")
        w.write(name: a, compress: true)
        w.write(name: b, compress: true)
        w.write(name: a, compress: true)
        let out = Array(w.buffer.readableBytesView)
        // 18 octets for the first name, "mx2" + pointer for the second, one pointer for the third.
        #expect(out.count == 18 + 4 + 2 + 2)
        #expect(try readName(out, at: 18) == b)
        #expect(try readName(out, at: 18).description == "MX2.example.test.")
        #expect(try readName(out, at: 24) == a)
    }
}

@Suite("Domain name hashing")
struct DomainNameHashTests {
    /// Names that differ only in ASCII case are equal and hash alike (RFC 4343), whatever their length
    /// against the eight-octet words the hash folds them into.
    @Test(arguments: ["a.", "Example.TEST.", "abcdefg.", "abcdefgh.ij.", "MX1.Fleet00001.Test."])
    func caseInsensitiveEqualityAndHash(_ text: String) throws {
        let upper = try DomainName(parsing: text.uppercased())
        let lower = try DomainName(parsing: text.lowercased())
        #expect(upper == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(Set([upper, lower, try DomainName(parsing: "x" + text)]).count == 2)
    }
}
