import SMTPDiagMailAuth
import Testing

/// Keys made once with openssl, as the lab's mailauth.test zone publishes them.
enum Keys {
    static let rsa2048SPKI =
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAw3t8EuR4N/SyRTPIPD4B7dDCzKAw+4sLY2XQ4BhT8CTMrxZt/QOScpD8Rgi6UF/zRRuAmuibRA603tT7iNS/xTqv5/zwxXMr4RNktw62St0jLzq0cTi/eybhRO97rnrtyooCM21cxwlwaS+8G9UTw0oKEX+gtO24jqgra/pBwBtQ8B/56fQBaX5OA5t77ihhKkvy/SJf7bOxWCvwiDAAmKOKhispKlBxQumTO4jZD82vv8KB/T3qHb56yWgKNDTfAsUT8/vL1dz4m2/ij8Tq0/S1Ed+0cVrdibHk5H5/bl68d9Aku0A00kr3Vr5t/JmkNS1gfim9ta3Ly1JW012zBwIDAQAB"
    static let rsa1024PKCS1 =
        "MIGJAoGBALDPE+gKloeSsTayr048+A9atm2H59C2/A865L4oK8x11NZ3UzfqIGf34u/A6UOIpqYR7j0RWK5rpBo2NmjiaKUn3HoAIv9bY6q0DCVAtupQ3IKgdiuKMnxE7OS24iRhncJ2l305AFJJHKhwuZmi+aWUZXOGtfrDGGDKJDkc9/V1AgMBAAE="
    static let rsa512SPKI =
        "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALrrWlOEx9r4jMMtR1DhUSspd6YfA3pexMmZlAIjrOlqKB1vJDNXjZhC38aXZYrJ8k23HmEOfF6A0A5hP5CJZpcCAwEAAQ=="
    static let ed25519Raw = "atuAQy/VCxraxDliduQfsKKVAiqZXdyJCLkGbYWfnoc="
    static let ed25519SPKI = "MCowBQYDK2VwAyEAatuAQy/VCxraxDliduQfsKKVAiqZXdyJCLkGbYWfnoc="
}

@Suite struct DKIMKeyRecordTests {
    @Test func rsaKeysInBothForms() throws {
        let spki = try DKIMKeyRecord(parsing: "v=DKIM1; k=rsa; p=\(Keys.rsa2048SPKI)")
        #expect(spki.keyType == .rsa && spki.bits == 2048 && spki.form == "SubjectPublicKeyInfo")
        #expect(spki.unusable == nil)
        let pkcs1 = try DKIMKeyRecord(parsing: "p=\(Keys.rsa1024PKCS1)")
        #expect(pkcs1.keyType == .rsa && pkcs1.bits == 1024 && pkcs1.form == "RSAPublicKey")
        // Folding white space inside p= is not part of the key.
        let folded = Keys.rsa2048SPKI.prefix(100) + " \t " + Keys.rsa2048SPKI.dropFirst(100)
        #expect(try DKIMKeyRecord(parsing: "v=DKIM1; p=\(folded)").bits == 2048)
    }

    @Test func weakRevokedTestingAndHashes() throws {
        let weak = try DKIMKeyRecord(parsing: "v=DKIM1; p=\(Keys.rsa512SPKI)")
        #expect(weak.bits == 512)
        #expect(weak.unusable?.contains("under 1024 bits (RFC 8301 3.2)") == true)
        let revoked = try DKIMKeyRecord(parsing: "v=DKIM1; k=rsa; p=")
        #expect(revoked.revoked && revoked.bits == nil && revoked.unusable == "revoked (empty p=)")
        let testing = try DKIMKeyRecord(parsing: "v=DKIM1; t=y:s; p=\(Keys.rsa1024PKCS1)")
        #expect(testing.testing && testing.strict)
        #expect(try DKIMKeyRecord(parsing: "h=sha1; p=\(Keys.rsa1024PKCS1)").unusable?.contains("sha256") == true)
        #expect(try DKIMKeyRecord(parsing: "h=sha1:sha256; p=\(Keys.rsa1024PKCS1)").unusable == nil)
        #expect(try DKIMKeyRecord(parsing: "s=tlsrpt; p=\(Keys.rsa1024PKCS1)").unusable?.contains("email") == true)
    }

    @Test func ed25519IsThirtyTwoRawOctets() throws {
        let raw = try DKIMKeyRecord(parsing: "v=DKIM1; k=ed25519; p=\(Keys.ed25519Raw)")
        #expect(raw.keyType == .ed25519 && raw.bits == 256 && raw.form == "raw")
        #expect {
            try DKIMKeyRecord(parsing: "v=DKIM1; k=ed25519; p=\(Keys.ed25519SPKI)")
        } throws: {
            "\($0)".contains("an ed25519 key published as SubjectPublicKeyInfo (44 octets)")
        }
        // An RSA key that is really an ed25519 SPKI.
        #expect(throws: DKIMKeyRecord.Problem.self) { try DKIMKeyRecord(parsing: "p=\(Keys.ed25519SPKI)") }
    }

    @Test(arguments: [
        "p=\(Keys.rsa1024PKCS1); v=DKIM1", "v=DKIM2; p=\(Keys.rsa1024PKCS1)", "k=dsa; p=\(Keys.rsa1024PKCS1)",
        "v=DKIM1; k=rsa", "v=DKIM1; p=not*base64", "v=DKIM1; p=AAAA", "v=DKIM1; p=a; p=b", "",
        "v=DKIM1; p=\(Keys.ed25519Raw)",
    ])
    func invalid(_ text: String) {
        #expect(throws: DKIMKeyRecord.Problem.self) { try DKIMKeyRecord(parsing: text) }
    }
}

@Suite struct TLSRPTRecordTests {
    @Test func valid() throws {
        let r = try TLSRPTRecord(parsing: "v=TLSRPTv1; rua=mailto:a@x.test , https://r.x.test/tlsrpt ;ext=1;")
        #expect(r.rua == ["mailto:a@x.test", "https://r.x.test/tlsrpt"])
        #expect(TLSRPTRecord.isTLSRPT("v=TLSRPTv1;rua=mailto:a@x.test"))
        #expect(!TLSRPTRecord.isTLSRPT("v=tlsrptv1; rua=mailto:a@x.test"))
        #expect(!TLSRPTRecord.isTLSRPT("v=TLSRPTv10; rua=mailto:a@x.test"))
    }

    @Test(arguments: [
        "v=TLSRPTv1", "v=TLSRPTv1; rua=ftp://x.test/r", "v=TLSRPTv1; rua=mailto:a@x.test; rua=mailto:b@x.test",
        "v=TLSRPTv1; rua=mailto:", "rua=mailto:a@x.test; v=TLSRPTv1", "v=TLSRPTv1; rua=mailto:a@x.test; bad",
        "v=TLSRPTv1;; rua=mailto:a@x.test",
    ])
    func invalid(_ text: String) {
        #expect(throws: TLSRPTRecord.Problem.self) { try TLSRPTRecord(parsing: text) }
    }
}

@Suite struct PublicSuffixListTests {
    static let list = PublicSuffixList(
        text: "// a comment\ncom\nco.uk\n*.ck\n!www.ck\n\n  test-suffix.example  // note\n")

    @Test(
        arguments: [
            ("a.b.example.com", "example.com"), ("example.com", "example.com"), ("com", nil), ("a.co.uk", "a.co.uk"),
            ("co.uk", nil), ("x.y.ck", "x.y.ck"), ("y.ck", nil), ("www.ck", "www.ck"), ("a.www.ck", "www.ck"),
            ("deep.sub.mailauth.test", "mailauth.test"), ("MAILAUTH.TEST.", "mailauth.test"),
            ("a.b.test-suffix.example", "b.test-suffix.example"), ("a..b", nil),
        ] as [(String, String?)])
    func organizationalDomains(_ name: String, _ org: String?) {
        #expect(Self.list.organizationalDomain(name) == org)
    }

    @Test func treeWalkTargets() {
        let ten = "a.b.c.d.e.f.g.h.i.test"
        #expect(
            DMARCDiscovery.rfc9989.targets(ten, psl: nil) == [
                ten, "d.e.f.g.h.i.test", "e.f.g.h.i.test", "f.g.h.i.test", "g.h.i.test", "h.i.test", "i.test", "test",
            ])
        #expect(DMARCDiscovery.rfc9989.targets("x.test", psl: nil) == ["x.test", "test"])
        #expect(DMARCDiscovery.rfc7489.targets("deep.sub.x.co.uk", psl: Self.list) == ["deep.sub.x.co.uk", "x.co.uk"])
        #expect(DMARCDiscovery.rfc7489.targets("x.co.uk", psl: Self.list) == ["x.co.uk"])
    }
}
