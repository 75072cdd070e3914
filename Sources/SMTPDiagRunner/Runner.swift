import NIOConcurrencyHelpers
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagSMTPWire
import SMTPDiagSpec

/// How a run behaves.
public struct RunOptions: Sendable {
    /// Plan checks in flight at once. Each makes one or more DNS queries, one after another. More than
    /// a few hundred only adds memory (every check in flight holds its frames) without adding speed
    /// (measured on the 1,000 and 10,000-domain fleets: 500 was faster than 2,000, and a third the memory).
    public var jobs: Int = 500
    /// The resolvers `system` stands for (from /etc/resolv.conf by default).
    public var systemResolvers: [DNSServerAddress] = []
    /// The HELO name when a spec names none.
    public var defaultHelo: String = "localhost"
    /// Called after each plan check finishes: (finished, total).
    public var progress: (@Sendable (Int, Int) -> Void)? = nil
    /// The whole run's deadline; unfinished checks are reported "not run".
    public var deadline: Duration? = nil
    /// Keep the evidence (DNS answers, transcripts) of passing checks too, not only of the others (`-v`).
    public var keepPassingEvidence = false
    /// Where the workers run, spread over these in turn (the DNS client's event loops: `DNSClient.taskExecutors`),
    /// or on Swift's global executor when empty. On the loops, a check's queries and their answers stay on
    /// one thread (measured on the 1,000-domain fleet: a quarter less CPU, 40% fewer context switches).
    public var executors: [any TaskExecutor] = []
    /// The families whose checks (`.family`) this run judges.
    public var families = FamilyRegistry([])
    /// Probes of other kinds for the families' checks (`FamilyContext.probe`).
    public var probes = ProbeSet()
    public init() {}
}

/// Executes a `CheckPlan` in dependency order with bounded concurrency, and turns every plan check
/// into one or more results (one per NS address, per MX address...). Identical DNS queries and SMTP
/// sessions are made once per run; retries are the DNS engine's, for network errors only.
public final class Runner: Sendable {
    let dns: any DNSProbe
    let smtp: any SMTPProbe
    let options: RunOptions
    let queries = OnceCache<QueryKey, Result<DNSResponse, DNSClientError>>()
    let sessions = OnceCache<SessionKey, SMTPSessionRecord>()
    let state = RunState()

    public init(dns: any DNSProbe, smtp: any SMTPProbe, options: RunOptions = RunOptions()) {
        self.dns = dns
        self.smtp = smtp
        self.options = options
    }

    struct QueryKey: Hashable, Sendable {
        var question: Question
        var server: DNSServerAddress
        var transport: DNSTransport
    }

    struct SessionKey: Hashable, Sendable {
        var target: SMTPTarget
        var settings: SMTPSessionSettings
        var recipients: [String]
        var mailFrom: Bool
        var address: String
        var port: Int
        var name: String?
    }

    /// Runs the plan. `skipped` are checks filtered out, reported as `skip` with their reason. When the
    /// task is cancelled or the deadline passes, what finished is kept and the rest is `skip`, "not run".
    public func run(_ plan: CheckPlan, skipped: [(Check, String)] = []) async -> (
        results: ResultList, interrupted: String?
    ) {
        let schedule = Schedule(plan.checks)
        let total = plan.checks.count
        let keepPassing = options.keepPassingEvidence

        let work = Task { [self] in
            await withTaskCancellationHandler {
                // A fixed pool of workers, each taking the earliest ready check: a task group whose finished
                // children pile up costs time linear in their number at every removal (measured).
                await withTaskGroup(of: Void.self) { group in
                    let executors = options.executors
                    for k in 0..<min(max(1, options.jobs), max(1, total)) {
                        let executor = executors.isEmpty ? nil : executors[k % executors.count]
                        group.addTask(executorPreference: executor) { [self] in
                            let interruption = Interruption()
                            var taken = await schedule.next()
                            while let t = taken {
                                let i = t.index
                                let check = schedule.checks[i]
                                var results: [CheckResult]
                                if let (dep, status) = t.blocker, !proceeds(check, despite: dep, status) {
                                    // A prerequisite that did not pass skips this check (contract: skip, never
                                    // a failure).
                                    results = [
                                        Self.result(
                                            check, .skip,
                                            "prerequisite \(dep) did not pass (\(status?.rawValue ?? "not run"))")
                                    ]
                                } else {
                                    results = await Self.$group.withValue(Int(schedule.group[i])) {
                                        await Self.$interruption.withValue(interruption) { await evaluate(check) }
                                    }
                                }
                                // A check whose question or session the cancellation cut short did not run.
                                if Task.isCancelled && interruption.take() {
                                    schedule.abandon(i)
                                    return
                                }
                                for k in results.indices {
                                    results[k].evidence.settle(keep: keepPassing || results[k].status != .pass)
                                }
                                let (done, groupDone, following) = schedule.finish(i, results)
                                if let g = groupDone { queries.evict(owner: g) }
                                options.progress?(done, total)
                                taken = following
                                if taken == nil { taken = await schedule.next() }
                            }
                        }
                    }
                }
            } onCancel: {
                schedule.cancel()
            }
        }
        var interrupted: String? = nil
        if let deadline = options.deadline {
            let timer = Task {
                try? await Task.sleep(for: deadline)
                if !Task.isCancelled { work.cancel() }
            }
            await withTaskCancellationHandler {
                await work.value
            } onCancel: {
                work.cancel()
            }
            timer.cancel()
        } else {
            await withTaskCancellationHandler {
                await work.value
            } onCancel: {
                work.cancel()
            }
        }
        if work.isCancelled {
            interrupted = Task.isCancelled ? "interrupted" : "the run deadline passed"
        }
        let reason = interrupted ?? "interrupted"
        let results = schedule.collect(
            unfinished: { check in Self.result(check, .skip, "not run: \(reason) before this check finished") },
            extra: skipped.map { check, why in
                var r = Self.result(check, .skip, why)
                r.unselected = true
                return (check, r)
            })
        return (results, interrupted)
    }

    /// Whether a check runs although a prerequisite did not pass: an SMTP step whose hosts check errored on some
    /// names still runs for the hosts that were found, and reports the others as errors, one by one.
    func proceeds(_ check: Check, despite prerequisite: CheckID, _ status: CheckStatus?) -> Bool {
        guard case .smtp = check.kind, status == .error, let list = state.hosts(prerequisite) else { return false }
        return !list.found.isEmpty || !list.unresolved.isEmpty
    }

    /// The group (domain, or checks tied by prerequisites) the current evaluation belongs to: DNS answers
    /// it caches are let go of when the group's last check finishes.
    @TaskLocal static var group: Int? = nil

    /// Told when a DNS question or an SMTP session of the current evaluation was cut short by cancellation.
    @TaskLocal static var interruption: Interruption? = nil

    /// A result of `check`, whole (its domain shares the check's name: no text is made for it here).
    static func result(_ check: Check, _ status: CheckStatus, _ message: String, id: CheckID? = nil) -> CheckResult {
        var r = CheckResult(
            id: id ?? check.id, planID: check.id, status: status, message: message, location: check.location,
            domainName: check.domain, tags: check.tags)
        r.advisory = check.advisory
        return r
    }

    // MARK: - Evaluation

    @inline(never)
    func evaluate(_ check: Check) async -> [CheckResult] {
        let clock = ContinuousClock()
        let start = clock.now
        var results: [CheckResult]
        switch check.kind {
        case .discovery(let zone, let via):
            results = [await discover(check, zone: zone, via: via)]
        case .records(let name, let type, let e, let server, let t):
            results = await perServer(check, server, t) { answer in
                Self.judgeRecords(answer, name: name, type: type, e)
            } question: {
                Question(name: name, type: type)
            }
        case .soaField(let zone, let field, let server, let t):
            results = await perServer(check, server, t) { answer in
                Self.judgeSOA(answer, zone: zone, field: field)
            } question: {
                Question(name: zone, type: .soa)
            }
        case .soaConsistency(let zone, let servers, let transports, let drift):
            results = [await consistency(check, zone: zone, servers: servers, transports: transports, maxDrift: drift)]
        case .mxResolves(let zone, let server, let t):
            results = await mxResolves(check, zone: zone, server: server, transport: t)
        case .smtpHosts(let domain, let target, let server, let t):
            results = [await smtpHosts(check, domain: domain, target: target, server: server, transport: t)]
        case .smtp(let session, let step):
            results = await smtpStep(check, session: session, step: step)
        case .family(let f):
            if let family = options.families.family(f.family) {
                results = await family.evaluate(f.value, FamilyContext(runner: self, check: check))
            } else {
                results = [Self.result(check, .error, "no family `\(f.family)` is registered in this run")]
            }
        }
        let elapsed = start.duration(to: clock.now)
        // An SMTP step has its own time (from the session's transcript); every other check took this long.
        if case .smtp = check.kind {} else { for i in results.indices { results[i].duration = elapsed } }
        return results
    }

    // MARK: - Servers

    /// The concrete servers of a target, with the label they get in result ids.
    func servers(_ target: ServerTarget) async -> Result<[(Endpoint, DNSServerAddress)], Problem> {
        switch target {
        case .named(let name, let host, let port):
            return .success([(.dns(name, host, port), DNSServerAddress(host: host, port: port))])
        case .system:
            guard !options.systemResolvers.isEmpty else { return .failure(Problem("no resolvers in /etc/resolv.conf")) }
            return .success(options.systemResolvers.map { (.dns("system", $0.host, $0.port), $0) })
        case .authoritative(let zone, let via):
            guard let found = state.discovered(zone: zone, via: via) else {
                return .failure(Problem("the authoritative servers of \(zone) are not known"))
            }
            var out: [(Endpoint, DNSServerAddress)] = []
            for ns in found {
                for a in ns.addresses {
                    out.append((.dns(String(ns.name.description.dropLast()), a.host, a.port), a))
                }
            }
            return out.isEmpty ? .failure(Problem("no NS of \(zone) has an address")) : .success(out)
        }
    }

    func base(_ via: ServerTargetBase) -> ServerTarget {
        switch via {
        case .named(let n, let h, let p): return .named(name: n, host: h, port: p)
        case .system: return .system
        }
    }

    static func expandedID(_ check: Check, server: ServerTarget, label: Endpoint) -> CheckID {
        guard case .named = server else { return check.id.at(label) }
        return check.id
    }

    func ask(_ question: Question, _ server: DNSServerAddress, _ transport: SpecTransport, _ check: Check) async
        -> Result<DNSResponse, DNSClientError>
    {
        let t: DNSTransport = transport == .udp ? .udp : .tcp
        let options = DNSQueryOptions(timeout: check.timeout, retries: check.retries)
        let probe = dns
        let answer = await queries.value(
            QueryKey(question: question, server: server, transport: t), owner: Self.group
        ) {
            await probe.query(question, server: server, transport: t, options: options)
        }
        if case .failure(.cancelled) = answer { Self.interruption?.note() }
        return answer
    }

    /// A question over UDP, asked again over TCP when the answer is truncated (a cut NS or address set would hide
    /// servers).
    func askWhole(_ question: Question, _ server: DNSServerAddress, _ check: Check) async
        -> Result<DNSResponse, DNSClientError>
    {
        let udp = await ask(question, server, .udp, check)
        if case .success(let m) = udp, m.isTruncated { return await ask(question, server, .tcp, check) }
        return udp
    }

    /// One query per concrete server of `target`; each gives a result.
    @inline(never)
    func perServer(
        _ check: Check, _ target: ServerTarget, _ transport: SpecTransport, judge: (DNSResponse) -> Matchers.Verdict,
        question: () -> Question
    ) async -> [CheckResult] {
        let q = question()
        switch await servers(target) {
        case .failure(let reason):
            return [Self.result(check, .error, reason.text)]
        case .success(let list):
            var out: [CheckResult] = []
            for (label, address) in list {
                let id = Self.expandedID(check, server: target, label: label)
                out.append(await perAddress(check, id, address, transport, q, judge))
            }
            return out
        }
    }

    /// One question to one server, judged.
    func perAddress(
        _ check: Check, _ id: CheckID, _ address: DNSServerAddress, _ transport: SpecTransport, _ q: Question,
        _ judge: (DNSResponse) -> Matchers.Verdict
    ) async -> CheckResult {
        let answer = await ask(q, address, transport, check)
        var r = Self.result(check, .error, "", id: id)
        r.evidence.note(answer, q)
        switch Self.usable(answer) {
        case .unusable(let why):
            r.message = why
        case .ok(let response):
            r.apply(judge(response))
        }
        return r
    }

    static func judgeRecords(_ response: DNSResponse, name: DomainName, type: RecordType, _ e: RecordSetExpectation)
        -> Matchers.Verdict
    {
        var v = Matchers.recordSet(records(response, name: name, type: type), e)
        if response.rcode == .nxDomain && !v.pass { v.message += " (NXDOMAIN: the name does not exist)" }
        return v
    }

    static func judgeSOA(_ response: DNSResponse, zone: DomainName, field: SOAField) -> Matchers.Verdict {
        guard case .soa(let soa)? = records(response, name: zone, type: .soa).first?.rdata else {
            return Matchers.Verdict(
                pass: false, message: "no SOA for \(zone) (\(response.rcode))", expected: "an SOA record",
                actual: "none")
        }
        switch field {
        case .present:
            return Matchers.Verdict(
                pass: true, message: "SOA serial \(soa.serial)", expected: "an SOA record", actual: "\(soa)")
        case .mname(let m):
            return Matchers.Verdict(
                pass: soa.mname == m, message: soa.mname == m ? "\(soa.mname)" : "mname is \(soa.mname)",
                expected: "\(m)", actual: "\(soa.mname)")
        case .rname(let r):
            return Matchers.Verdict(
                pass: soa.rname == r, message: soa.rname == r ? "\(soa.rname)" : "rname is \(soa.rname)",
                expected: "\(r)", actual: "\(soa.rname)")
        case .serial(let s):
            let ok = s.matches(Int64(soa.serial))
            return Matchers.Verdict(
                pass: ok, message: ok ? "serial \(soa.serial)" : "serial \(soa.serial)", expected: "\(s)",
                actual: "\(soa.serial)")
        }
    }
}
