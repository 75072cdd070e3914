import ArgumentParser
import Foundation
import SMTPDiagDNS
import SMTPDiagMailAuth
import SMTPDiagPlan
import SMTPDiagReport
import SMTPDiagSpec
import SMTPDiagZone

extension OutputFormat: ExpressibleByArgument {}

/// `--report FORMAT=FILE`.
struct ReportTarget: Sendable {
    var format: OutputFormat
    var path: String

    init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty, let f = OutputFormat(rawValue: parts[0]) else {
            throw ValidationError(
                "--report takes FORMAT=FILE with FORMAT one of "
                    + "\(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")); got \(terminalSafe(text))")
        }
        format = f
        path = parts[1]
    }
}

/// The zone files the specs name, read: nil when no server is zone files; exit 2 with every error of every file
/// when they do not load, or when two different sources are named (one a run).
func loadZoneFiles(_ files: [SpecFile]) throws -> ZoneSet? {
    let paths = Set(
        files.flatMap { $0.servers.compactMap(\.zones) }.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
    guard let path = paths.first else { return nil }
    guard paths.count == 1 else {
        printError(
            "smtpdiag-spec: one zone-file source a run; these are named: "
                + paths.sorted().map(terminalSafe).joined(separator: ", "))
        throw ExitCode(2)
    }
    let (set, errors) = ZoneSet.load(path)
    guard errors.isEmpty else {
        for e in errors { printError(terminalSafe(e.description)) }
        printError("\(errors.count) error(s) in the zone files; nothing was run")
        throw ExitCode(2)
    }
    return set
}

/// `--zones NAME=DIR`: a named server replaced by zone files.
struct ZoneOverride: Sendable {
    var name: String
    var path: String

    init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError(
                "--zones takes NAME=DIR (a folder of *.zone files or one file); got \(terminalSafe(text))")
        }
        name = parts[0]
        path = URL(fileURLWithPath: parts[1]).standardizedFileURL.path
    }
}

/// `--dns-server NAME=ADDR[:PORT]`: a named server's address replaced (`system`: the system resolvers).
struct ServerOverride: Sendable {
    var name: String
    var address: DNSServerAddress

    init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let a = try? DNSServerAddress(parsing: parts[1]) else {
            throw ValidationError("--dns-server takes NAME=ADDR[:PORT] with an IP address; got \(terminalSafe(text))")
        }
        name = parts[0]
        address = a
    }
}

/// The options `run` and `diag` share: how the checks run and where the results go.
struct RunOptionsGroup: ParsableArguments {
    @Option(help: "Output format on standard output: human, json, junit, tap or github.")
    var format: OutputFormat = .human

    @Option(
        name: .customLong("report"), help: "Also write a report: FORMAT=FILE (repeatable), e.g. junit=report.xml.",
        transform: ReportTarget.init(parsing:))
    var reports: [ReportTarget] = []

    @Option(help: "Checks in flight at once (each asks its DNS questions one after another).")
    var jobs: Int = 500

    @Option(
        name: .customLong("smtp-per-host"), help: "At most this many SMTP sessions at once to one address (politeness)."
    )
    var smtpPerHost: Int = 2

    @Option(
        name: .customLong("dns-server"), help: "Override a named DNS server: NAME=ADDR[:PORT] (repeatable).",
        transform: ServerOverride.init(parsing:))
    var dnsServers: [ServerOverride] = []

    @Option(
        help: "A deadline for the whole run, e.g. 5m; unfinished checks are reported as not run.",
        transform: { text in
            guard case .success(let d) = SpecDuration.parse(text), d > .zero else {
                throw ValidationError("--deadline takes \(SpecDuration.form), more than 0; got \(terminalSafe(text))")
            }
            return d
        })
    var deadline: Duration?

    @Flag(name: [.customShort("v"), .long], help: "Show DNS answers and SMTP transcripts.")
    var verbose = false

    @Flag(help: "Print the DNS engine's counters (queries sent, answered, dropped) to standard error at the end.")
    var stats = false

    @Option(
        name: .customLong("zones"),
        help: ArgumentHelp(
            "Answer a named server's questions from zone files: NAME=DIR (a folder of *.zone files or one file).",
            valueName: "NAME=DIR"),
        transform: ZoneOverride.init(parsing:))
    var zones: [ZoneOverride] = []

    @Option(
        help: ArgumentHelp(
            "The Public Suffix List for DMARC's organizational domains (default: Debian's publicsuffix package).",
            valueName: "FILE"))
    var psl: String?

    /// The Public Suffix List the run's DMARC checks use: `--psl`, else Debian's when installed, else none (the
    /// checks that need it then say so, as errors).
    func publicSuffixList() throws -> PublicSuffixList? {
        guard
            let path = psl
                ?? (FileManager.default.isReadableFile(atPath: PublicSuffixList.debianPath)
                    ? PublicSuffixList.debianPath : nil)
        else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ValidationError("--psl: cannot read \(terminalSafe(path))")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: PublicSuffixList.maxSize + 1)) ?? Data()
        guard data.count <= PublicSuffixList.maxSize else {
            throw ValidationError("--psl: \(terminalSafe(path)) is over \(PublicSuffixList.maxSize >> 20) MB")
        }
        let list = PublicSuffixList(text: String(decoding: data, as: UTF8.self))
        guard list.count > 0 else { throw ValidationError("--psl: \(terminalSafe(path)) has no rules") }
        return list
    }

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if smtpPerHost < 1 { throw ValidationError("--smtp-per-host must be at least 1") }
    }

    /// `--dns-server NAME=ADDR`: replaces the address of a server of that name in every file.
    func applyServerOverrides(_ files: [SpecFile]) throws -> [SpecFile] {
        var files = files
        for o in dnsServers where o.name != "system" {
            var found = false
            for i in files.indices {
                for j in files[i].servers.indices where files[i].servers[j].name == o.name {
                    files[i].servers[j].host = o.address.host
                    files[i].servers[j].port = o.address.port
                    files[i].servers[j].zones = nil
                    found = true
                }
            }
            if !found {
                printError("--dns-server: no spec defines a server named \(terminalSafe(o.name))")
                throw ExitCode(2)
            }
        }
        for z in zones {
            var found = false
            for i in files.indices {
                for j in files[i].servers.indices where files[i].servers[j].name == z.name {
                    files[i].servers[j].host = ServerDefinition.zoneFilesHost
                    files[i].servers[j].port = 0
                    files[i].servers[j].zones = z.path
                    found = true
                }
            }
            if !found {
                printError("--zones: no spec defines a server named \(terminalSafe(z.name))")
                throw ExitCode(2)
            }
        }
        return files
    }

    /// The zone files the run answers from, read once (`loadZoneFiles`).
    func zoneFiles(_ files: [SpecFile]) throws -> ZoneSet? { try loadZoneFiles(files) }

    var systemResolvers: [DNSServerAddress] {
        let overrides = dnsServers.filter { $0.name == "system" }.map(\.address)
        return overrides.isEmpty ? SystemResolvers.load() : overrides
    }
}

/// Which checks `run` runs.
struct SelectionOptions: ParsableArguments {
    @Option(name: .customLong("tag"), help: "Run only checks of domains or routes with this tag (repeatable).")
    var tags: [String] = []

    @Option(
        name: .customLong("only"),
        help: "Run only checks whose id matches this glob (repeatable), e.g. 'example.test/smtp@*'.")
    var only: [String] = []

    @Option(
        help: "Run shard K of N (K/N): a deterministic split by domain; the N shards together are the whole plan.",
        transform: { text in
            guard let s = Selection.Shard(parsing: text) else {
                throw ValidationError("--shard takes K/N with 1 <= K <= N, e.g. 2/4; got \(terminalSafe(text))")
            }
            return s
        })
    var shard: Selection.Shard?

    @Option(name: .customLong("skip"), help: "Skip a kind of check: smtp (port 25 is blocked on many CI runners).")
    var skip: [String] = []

    func validate() throws {
        for s in skip where s != "smtp" { throw ValidationError("--skip takes smtp; got \(terminalSafe(s))") }
    }

    var selection: Selection { Selection(shard: shard, tags: tags, only: only, skipSMTP: skip.contains("smtp")) }
}
