import Testing

@testable import SMTPDiagMailAuth

/// RFC 6376 3.2 tag-lists and RFC 7489 6.3 DMARC records, as a receiver reads them.
@Suite("DMARC records and tag-lists")
struct DMARCRecordTests {
    @Test func tagLists() throws {
        let list = try TagList(parsing: " v = DMARC1 ;p=reject;\trua=mailto:a@example.test, mailto:b@example.test ; ")
        #expect(list.tags.map(\.name) == ["v", "p", "rua"])
        #expect(list["rua"] == "mailto:a@example.test, mailto:b@example.test")
        #expect(list["P"] == nil)  // tag names are case-sensitive
        #expect(throws: TagList.Problem.duplicate("p")) { try TagList(parsing: "v=DMARC1; p=none; p=reject") }
        #expect(throws: TagList.Problem.empty) { try TagList(parsing: "  ") }
        for bad in ["v=DMARC1;; p=none", "v=DMARC1; p", "v=DMARC1; 1p=none", "v=DMARC1; p=n\u{1}ne", "=x"] {
            #expect(throws: TagList.Problem.self, "\(bad)") { try TagList(parsing: bad) }
        }
    }

    @Test func recordsAndTheirDefaults() throws {
        let r = try DMARCRecord(parsing: "v=DMARC1; p=quarantine; rua=mailto:d@example.test!10m")
        #expect(r.policy == .quarantine && r.subdomainPolicy == nil && r.effectiveSubdomainPolicy == .quarantine)
        #expect(r.pct == 100 && r.dkimAlignment == .relaxed && r.spfAlignment == .relaxed)
        #expect(r.rua == ["mailto:d@example.test!10m"])
        let s = try DMARCRecord(parsing: "v=DMARC1;p=REJECT;sp=none;pct=25;adkim=s;aspf=s;foo=bar")
        #expect(s.policy == .reject && s.effectiveSubdomainPolicy == .none && s.pct == 25)
        #expect(s.dkimAlignment == .strict && s.spfAlignment == .strict)
        #expect(s.description == "p=reject sp=none pct=25 adkim=s aspf=s")
    }

    @Test func whatIsNotADMARCRecord() {
        // v=DMARC1 first, exactly so: case, other versions and other tags first are not DMARC records.
        for text in ["v=dmarc1; p=reject", "v=DMARC10; p=reject", "p=reject; v=DMARC1", "v=spf1 -all", ""] {
            #expect(!DMARCRecord.isDMARC(text), "\(text)")
            #expect(throws: DMARCRecord.Problem.notDMARC, "\(text)") { try DMARCRecord(parsing: text) }
        }
        #expect(DMARCRecord.isDMARC("v=DMARC1") && DMARCRecord.isDMARC(" v = DMARC1 ; p=none"))
        #expect(throws: DMARCRecord.Problem.missingPolicy) { try DMARCRecord(parsing: "v=DMARC1; rua=mailto:a@x.test") }
        #expect(throws: DMARCRecord.Problem.tagList(.duplicate("p"))) {
            try DMARCRecord(parsing: "v=DMARC1; p=none; p=reject")
        }
        for (text, tag) in [
            ("v=DMARC1; p=block", "p"), ("v=DMARC1; p=none; sp=maybe", "sp"), ("v=DMARC1; p=none; pct=101", "pct"),
            ("v=DMARC1; p=none; pct=-1", "pct"), ("v=DMARC1; p=none; pct=50.5", "pct"),
            ("v=DMARC1; p=none; adkim=x", "adkim"), ("v=DMARC1; p=none; rua=reports@example.test", "rua"),
        ] {
            #expect(
                performing: { try DMARCRecord(parsing: text) },
                throws: { error in
                    if case .badValue(let t, _, _) = error as? DMARCRecord.Problem { return t == tag }
                    return false
                })
        }
    }

    @Test func policiesAreOrderedByStrength() {
        #expect(DMARCRecord.Policy.none < .quarantine && DMARCRecord.Policy.quarantine < .reject)
    }
}
