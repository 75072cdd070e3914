import NIOCore
import Testing

@testable import SMTPDiagDNSWire

@Suite("RDATA: presentation format parse and print, wire encode and decode")
struct RDataPresentationTests {
    static let cases: [(RecordType, String)] = [
        (.a, "127.0.0.11"),
        (.aaaa, "::1"),
        (.aaaa, "2001:db8::1:0:0:1"),
        (.aaaa, "::ffff:c000:201"),
        (.ns, "ns1.example.test."),
        (.cname, "mx1.example.test."),
        (.ptr, "mx1.example.test."),
        (.soa, "ns1.example.test. hostmaster.example.test. 2024010100 7200 3600 1209600 300"),
        (.mx, "10 mx1.example.test."),
        (.mx, "0 ."),
        (.txt, "\"v=spf1 mx -all\""),
        (.txt, "\"first string\" \"second \\\"quoted\\\" string\" \"tab\\009and\\\\backslash\""),
        (.txt, "\"\""),
        (.srv, "0 1 587 mx1.example.test."),
        (.caa, "0 issue \"lab-ca.example.test\""),
        (.caa, "128 iodef \"mailto:security@example.test\""),
        (.tlsa, "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6"),
        (.ds, "60485 13 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A"),
        (.dnskey, "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
        (.dnskey, "256 3 8 AQ=="),
        (RecordType(rawValue: 65280), "\\# 4 0A000001"),
        (RecordType(rawValue: 65281), "\\# 0"),
    ]

    @Test(arguments: cases)
    func printsBackTheSame(_ type: RecordType, _ text: String) throws {
        let rdata = try RData(type: type, presentation: text)
        #expect(rdata.type == type)
        #expect(rdata.description == text)
        // Wire form and back.
        let wire = rdata.wireBytes
        var reader = WireReader(message: ByteBuffer(bytes: wire))
        #expect(try RData.decode(type: type, from: &reader, length: wire.count) == rdata)
        // RFC 3597 generic form of a known type gives the typed value.
        let generic = "\\# \(wire.count) \(Presentation.hex(wire))"
        #expect(try RData(type: type, presentation: generic) == rdata)
    }

    @Test func relativeNamesInRDataUseTheOrigin() throws {
        let origin = try DomainName(parsing: "example.test.")
        #expect(try RData(type: .mx, presentation: "10 mx1", origin: origin).description == "10 mx1.example.test.")
        #expect(
            try RData(type: .mx, presentation: "20   MX2.Example.Test.", origin: origin).description
                == "20 MX2.Example.Test.")
        guard case .mx(let null) = try RData(type: .mx, presentation: "0 .", origin: origin) else {
            Issue.record("not an MX")
            return
        }
        #expect(null.isNullMX)
    }

    @Test func normalisation() throws {
        #expect(try RData(type: .aaaa, presentation: "0:0:0:0:0:0:0:1").description == "::1")
        #expect(try RData(type: .aaaa, presentation: "2001:DB8:0:0:1:0:0:1").description == "2001:db8::1:0:0:1")
        #expect(try RData(type: .tlsa, presentation: "3 1 1 0c72ac70 b745ac19").description == "3 1 1 0C72AC70B745AC19")
        #expect(try RData(type: .txt, presentation: "unquoted words").description == "\"unquoted\" \"words\"")
        #expect(
            try RData(type: .aaaa, presentation: "::ffff:192.0.2.1")
                == RData(type: .aaaa, presentation: "::ffff:c000:201"))
    }

    @Test(arguments: [
        (RecordType.mx, "10"), (.mx, "mx1.example.test."), (.mx, "70000 mx."), (.a, "256.0.0.1"), (.a, "1.2.3"),
        (.a, "01.2.3.4"), (.aaaa, "1:2:3"), (.aaaa, "1::2::3"), (.aaaa, ":::"), (.soa, "a. b. 1 2 3"),
        (.txt, "\"unterminated"), (.txt, "\"\(String(repeating: "x", count: 256))\""), (.tlsa, "3 1 1 ABC"),
        (.tlsa, "3 1 1 XYZ"), (.dnskey, "257 3 13 !!!!"), (.caa, "0 is-sue \"x\""),
        (RecordType(rawValue: 65280), "\\# 4 0A0000"), (RecordType(rawValue: 65280), "0A000001"),
        (.a, "\\# 5 0A00000101"), (.srv, "1 2 3"),
    ])
    func rejects(_ type: RecordType, _ text: String) {
        #expect(throws: DNSWireError.self) { try RData(type: type, presentation: text) }
    }

    @Test func errorsSayWhichField() {
        do {
            _ = try RData(type: .mx, presentation: "10")
            Issue.record("parsed")
        } catch {
            #expect(error.description.contains("MX"))
            #expect(error.description.contains("PREFERENCE EXCHANGE"))
        }
    }

    @Test func typeMnemonics() {
        #expect(RecordType("mx") == .mx)
        #expect(RecordType("TYPE65280")?.rawValue == 65280)
        #expect(RecordType(rawValue: 65280).description == "TYPE65280")
        #expect(RecordType("NOPE") == nil)
        #expect(RecordClass("in") == .in)
    }

    @Test func serialArithmetic() {
        #expect(SerialNumber.distance(from: 2024010100, to: 2024010105) == 5)
        #expect(SerialNumber.distance(from: 4_294_967_290, to: 3) == 9)
        #expect(SerialNumber.distance(from: 3, to: 4_294_967_290) == -9)
        #expect(SerialNumber.distance(from: 0, to: 0x8000_0000) == nil)
        #expect(SerialNumber.isLess(4_294_967_290, 3))
        #expect(!SerialNumber.isLess(3, 4_294_967_290))
    }

    @Test func base64() throws {
        for n in 0..<40 {
            let data = (0..<n).map { UInt8(($0 * 37 + n) & 0xFF) }
            #expect(try Presentation.base64Bytes(Presentation.base64(data), field: "x") == data)
        }
    }
}
