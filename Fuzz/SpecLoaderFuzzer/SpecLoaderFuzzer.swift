import Foundation
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagSpec

/// libFuzzer entry point: any bytes as a spec file. Loading (and compiling what loads) must end in a spec or
/// located diagnostics, never a crash, a trap or unbounded work: aliases, merge keys, nesting and
/// durations are all bounded before anything is built. Every diagnostic names the file and a line within it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpecLoader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    var loader = SpecLoader(environment: ["SMTPDIAG_FUZZ": "127.0.0.1"], families: Families.builtin.spec)
    loader.maxNodes = 200_000
    loader.maxAliasNodes = 100_000
    let loaded = loader.load(data: data, path: "fuzz.yaml")
    // YAML breaks lines at LF, CR, NEL, LS and PS: an upper bound of the lines a diagnostic may name.
    let lines = data.reduce(1) { $0 + ([0x0A, 0x0D, 0x85, 0xA8, 0xA9].contains($1) ? 1 : 0) }
    for d in loaded.diagnostics {
        precondition(d.location.file == "fuzz.yaml", "a diagnostic without its file")
        precondition(d.location.line >= 1 && d.location.line <= lines + 1, "a diagnostic outside the file")
        _ = d.description
    }
    if loaded.diagnostics.isEmpty {
        let compiled = PlanCompiler(families: Families.builtin.plan).compile(loaded.files)
        for c in compiled.plan.checks { _ = c.id.rawValue }
    }
    return 0
}
