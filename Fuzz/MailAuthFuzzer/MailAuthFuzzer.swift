import Dispatch
import SMTPDiagDNSWire
import SMTPDiagMailAuth

/// libFuzzer entry point: any bytes as a TXT record's text, read as a tag-list, a DMARC record, a DKIM key record,
/// a TLS-RPT record, a Public Suffix List, an SPF record and an SPF macro string; then the SPF evaluation and walk over a DNS where every name's TXT record is that
/// text (every include and redirect leads back to it). Each parses or says why, and evaluation ends within its
/// bounds; a crash, hang or trap is a bug. What parses must hold what the RFCs allow.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMailAuth(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    if let list = try? TagList(parsing: text) {
        precondition(!list.tags.isEmpty, "an empty tag-list parsed")
        precondition(Set(list.tags.map(\.name)).count == list.tags.count, "a tag twice in a parsed tag-list")
        for tag in list.tags { _ = list[tag.name] }
    }
    switch Result(catching: { () throws(DMARCRecord.Problem) -> DMARCRecord in try DMARCRecord(parsing: text) }) {
    case .success(let r):
        precondition(DMARCRecord.isDMARC(text), "a DMARC record that does not start with v=DMARC1")
        precondition((0...100).contains(r.pct), "pct out of range")
        _ = r.description
    case .failure(let problem):
        _ = problem.description
    }
    if let key = try? DKIMKeyRecord(parsing: text) {
        precondition(key.revoked == (key.bits == nil), "a key without a size that is not revoked")
        _ = key.unusable
        _ = key.description
    }
    if let r = try? TLSRPTRecord(parsing: text) {
        precondition(!r.rua.isEmpty && TLSRPTRecord.isTLSRPT(text), "a TLS-RPT record without rua or version")
    }
    let psl = PublicSuffixList(text: text)
    for name in ["a.b.example.com", "com", "x.y.co.uk", text] {
        if let org = psl.organizationalDomain(name) { precondition(!org.isEmpty, "an empty organizational domain") }
    }
    fuzzSPF(text)
    return 0
}

/// Every TXT lookup answers `text`; every name has an address and two MX names; reverse names point back.
struct EchoResolver: SPFResolver {
    let text: String

    func lookup(_ name: DomainName, _ type: RecordType) async -> SPFLookup {
        switch type {
        case .txt: return .records([.txt(TXT([text]))])
        case .a: return .records([.a(A(value: 0x7F00_0001))])
        case .mx: return .records([.mx(MX(preference: 1, exchange: name)), .mx(MX(preference: 2, exchange: .root))])
        case .ptr: return .records([.ptr(PTR(target: name))])
        default: return .void
        }
    }
}

func fuzzSPF(_ text: String) {
    if let record = try? SPFRecord(parsing: text) {
        precondition(SPFRecord.isSPF(text), "an SPF record that does not start with v=spf1")
        precondition(record.directives.count <= SPFRecord.maxTerms, "more terms than the bound")
    }
    let context = MacroContext(
        sender: "strong-bad@email.example.com", domain: "email.example.com",
        client: SPFAddress(bytes: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 12)), helo: "h.example.com")
    for explanation in [false, true] {
        if let m = try? MacroString(parsing: text, explanation: explanation) { _ = m.expand(context) }
    }
    guard SPFRecord.isSPF(text) else { return }
    let evaluator = SPFEvaluator(resolver: EchoResolver(text: text))
    let done = DispatchSemaphore(value: 0)
    Task {
        let e = await evaluator.checkHost(
            client: SPFAddress(bytes: [192, 0, 2, 1]), domain: "example.test", sender: "a@example.test",
            helo: "example.test")
        precondition(e.lookups <= 11 && e.voidLookups <= 3, "an evaluation past its limits")
        let w = await evaluator.walk(
            domain: "example.test", sender: "a@example.test", helo: "example.test",
            client: SPFAddress(bytes: [192, 0, 2, 1]))
        precondition(w.terms.count <= SPFEvaluator.maxWalkedTerms, "a walk past its bound")
        done.signal()
    }
    done.wait()
}
