import SMTPDiagMailAuth

/// libFuzzer entry point: any bytes as a TXT record's text, read as a tag-list and as a DMARC record. Either
/// parses or says why; a crash, hang or trap is a bug. What parses must hold what the RFCs allow.
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
    return 0
}
