import Dispatch
import SMTPDiagDNSWire
import SMTPDiagZone

/// Files in memory: the input is the zone file and every file it includes (itself, so `$INCLUDE` loops).
struct FuzzFiles: ZoneFileReader {
    let bytes: [UInt8]
    func read(_ path: String, limit: Int) -> Result<[UInt8], ZoneFileProblem> {
        .success(Array(bytes.prefix(limit + 1)))
    }
    func resolve(_ included: String, from includer: String) -> String { included }
}

/// libFuzzer entry point: any bytes as a master file (every `$INCLUDE` reads the same bytes again), then
/// questions about every owner it gave. Reading ends with records or located errors within its bounds;
/// answering never traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZoneFile(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let file = MasterFile(path: "fuzz.zone", origin: "fuzz.test.", reader: FuzzFiles(bytes: bytes), budget: 10_000)
    precondition(file.records.count <= 10_000, "more records than the budget")
    for e in file.errors { precondition(e.line >= 0 && e.column >= 0, "an error without a place") }
    var set = ZoneSet()
    _ = set.add(origin: "fuzz.test.", records: file.records)
    for r in file.records.prefix(50) {
        for type in [RecordType.a, .mx, .txt, .ns, .cname, .ds] {
            for udp in [true, false] {
                let m = set.answer(Message.query(id: 1, name: r.name, type: type, edns: udp ? EDNS() : nil), udp: udp)
                if udp, let size = try? m.encode().readableBytes {
                    precondition(size <= 1232, "a UDP answer too large")
                }
            }
        }
    }
    return 0
}
