import Foundation
import SMTPDiagDNSWire

/// One zone's records by owner and type, with the names that exist (owners and the empty non-terminals between
/// them and the apex).
public struct Zone: Sendable {
    public let origin: DomainName
    var nodes: [DomainName: [RecordType: [ResourceRecord]]] = [:]
    var existing: Set<DomainName> = []

    public var soa: ResourceRecord? { nodes[origin]?[.soa]?.first }
    public var recordCount: Int { nodes.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }

    /// Builds a zone; problems (no SOA at the apex, records outside the zone, CNAME beside other data) are
    /// returned with the first place each record came from.
    init(origin: DomainName, records: [ResourceRecord]) {
        self.origin = origin
        for r in records {
            var set = nodes[r.name, default: [:]][r.type, default: []]
            // The same record twice is one record, as servers load it; its first TTL stays.
            guard !set.contains(where: { $0.rdata == r.rdata }) else { continue }
            set.append(r)
            nodes[r.name, default: [:]][r.type] = set
            var n = r.name
            while existing.insert(n).inserted && n != origin && !n.isRoot { n = n.parent }
        }
        // Records of one set share one TTL (RFC 2181 5.2): the first one's, as NSD serves them.
        for (name, types) in nodes {
            for (type, set) in types where set.count > 1 {
                let ttl = set[0].ttl
                nodes[name]?[type] = set.map { ResourceRecord(name: $0.name, ttl: ttl, rdata: $0.rdata) }
            }
        }
    }

    /// Why a server would refuse to load the zone, if it would.
    func problems() -> [String] {
        var out: [String] = []
        if nodes[origin]?[.soa]?.count != 1 { out.append("\(origin) has no SOA record at its apex (or more than one)") }
        if nodes[origin]?[.ns] == nil { out.append("\(origin) has no NS records at its apex") }
        for (name, types) in nodes {
            if let c = types[.cname], c.count > 1 { out.append("\(name) has \(c.count) CNAME records") }
            if types[.cname] != nil && types.count > 1 { out.append("\(name) has a CNAME and other data") }
        }
        return out.sorted()
    }
}

/// Zones served from master files, answered in process as an authoritative server answers (NSD is the model):
/// the longest zone holding the name, referrals at delegations (NS and glue, no AA), CNAME chains inside the zone,
/// wildcards (RFC 4592, blocked by names and empty non-terminals that exist), NXDOMAIN and NODATA with the SOA
/// (its TTL the lesser of its own and its MINIMUM), the apex NS in the authority section of positive answers,
/// addresses of NS, MX and SRV targets as additional data, REFUSED outside every zone, and over UDP an answer
/// larger than the asker's EDNS size (512 without EDNS) sent as a truncated empty answer.
public struct ZoneSet: Sendable {
    public private(set) var zones: [DomainName: Zone] = [:]

    public init() {}

    public var recordCount: Int { zones.values.reduce(0) { $0 + $1.recordCount } }

    /// Adds a zone from its records; the problems a server would refuse it for, if any.
    public mutating func add(origin: DomainName, records: [ResourceRecord]) -> [String] {
        let outside = records.filter { !$0.name.isSubdomain(of: origin) && $0.name != origin }
        let zone = Zone(
            origin: origin, records: records.filter { $0.name.isSubdomain(of: origin) || $0.name == origin })
        var problems = zone.problems()
        if let o = outside.first {
            problems.append("\(o.name) is outside the zone \(origin) (\(outside.count) record(s))")
        }
        if zones[origin] != nil { problems.append("\(origin) is loaded twice") }
        zones[origin] = zone
        return problems
    }

    /// The zone that holds `name`: the one with the longest origin at or above it.
    func zone(for name: DomainName) -> Zone? {
        var n = name
        while true {
            if let z = zones[n] { return z }
            if n.isRoot { return nil }
            n = n.parent
        }
    }

    /// The answer an authoritative server gives to `query`, over UDP (`udp: true`) or TCP.
    public func answer(_ query: Message, udp: Bool) -> Message {
        var response = Message(
            header: Header(
                id: query.header.id, isResponse: true, opcode: query.header.opcode, authoritative: false,
                truncated: false, recursionDesired: query.header.recursionDesired, recursionAvailable: false,
                z: false, authenticData: false, checkingDisabled: query.header.checkingDisabled, rcodeLow: 0),
            questions: query.questions, answers: [], authorities: [], additionals: [],
            edns: query.edns.map { _ in EDNS(udpPayloadSize: 1232) })
        guard let q = query.questions.first, query.questions.count == 1 else {
            response.header.rcodeLow = 1  // FORMERR
            return response
        }
        guard let zone = zone(for: q.name) else {
            response.header.rcodeLow = 5  // REFUSED
            return response
        }
        resolve(q, in: zone, into: &response)
        if udp {
            // The asker's EDNS size (at least 512), at most the 1232 octets the lab's servers allow. As NSD does:
            // additional RRsets are kept while they fit, one by one in order (the A records come first); then
            // the authority section goes whole; only an answer section that still does not fit sets TC, with
            // nothing in any section.
            let limit = query.edns.map { max(512, min(Int($0.udpPayloadSize), 1232)) } ?? 512
            func fits() -> Bool { ((try? response.encode().readableBytes) ?? Int.max) <= limit }
            if !fits() {
                let additional = response.additionals
                response.additionals = []
                var authorityDropped = false
                if !fits() && !response.answers.isEmpty {
                    response.authorities = []
                    authorityDropped = true
                }
                if authorityDropped && fits() {
                    // Without its NS set, none of the additional data goes either (NSD adds it with the set).
                } else if !fits() {
                    response.answers = []
                    response.authorities = []
                    response.header.truncated = true
                } else {
                    // Whole RRsets (a name and a type), as NSD adds them: a set that does not fit is left out.
                    var sets: [[ResourceRecord]] = []
                    for r in additional {
                        if let last = sets.last?.last, last.name == r.name, last.type == r.type {
                            sets[sets.count - 1].append(r)
                        } else {
                            sets.append([r])
                        }
                    }
                    for set in sets {
                        response.additionals += set
                        if !fits() { response.additionals.removeLast(set.count) }
                    }
                }
            }
        }
        return response
    }

    func resolve(_ q: Question, in first: Zone, into m: inout Message) {
        // A DS at a zone's apex is the parent's to answer, when the parent zone is served here too (RFC 4035 3.1.4.1).
        if q.type == .ds, q.name == first.origin, !q.name.isRoot, let parent = zone(for: q.name.parent) {
            m.header.authoritative = true
            if let ds = parent.nodes[q.name]?[.ds] { m.answers = ds } else { m.authorities = negativeSOA(parent) }
            return
        }
        if let referral = referral(q, in: first) {
            m.authorities = referral
            m.additionals = glue(
                referral.compactMap { if case .ns(let v) = $0.rdata { v.nsdname } else { nil } }, first)
            return
        }
        m.header.authoritative = true
        var zone = first
        var name = q.name
        var seen: Set<DomainName> = []
        // CNAME chains, followed into any zone served here (as NSD does), at most a few links.
        for _ in 0..<8 {
            guard let node = lookup(name, zone) else {
                m.header.rcodeLow = 3
                m.authorities = negativeSOA(zone)
                return
            }
            if let records = node.records[q.type], !records.isEmpty {
                m.answers += records.map { ResourceRecord(name: name, ttl: $0.ttl, rdata: $0.rdata) }
                break
            }
            if q.type != .cname, let cname = node.records[.cname]?.first, case .cname(let c) = cname.rdata {
                m.answers.append(ResourceRecord(name: name, ttl: cname.ttl, rdata: cname.rdata))
                guard seen.insert(name).inserted, !seen.contains(c.target), let next = self.zone(for: c.target),
                    referral(Question(name: c.target, type: q.type), in: next) == nil
                else { break }
                name = c.target
                zone = next
                continue
            }
            // NODATA: the name exists, the type does not.
            m.authorities = negativeSOA(zone)
            return
        }
        // A positive answer: the NS set of the zone that answered in the authority section (not when the answer is
        // that set, nor for DNSKEY and DS, which NSD keeps small), and the addresses of NS, MX and SRV targets.
        if !(q.type == .ns && name == zone.origin) && q.type != .dnskey && q.type != .ds,
            m.answers.last.map({ $0.type == q.type }) == true
        {
            m.authorities = zone.nodes[zone.origin]?[.ns] ?? []
        }
        var targets: [DomainName] = []
        for r in m.answers + m.authorities {
            switch r.rdata {
            case .ns(let v): targets.append(v.nsdname)
            case .mx(let v): targets.append(v.exchange)
            case .srv(let v): targets.append(v.target)
            default: break
            }
        }
        // Nothing twice: an address already in the answer is not repeated as additional data.
        m.additionals = glue(targets, zone).filter { !m.answers.contains($0) }
    }

    /// The NS set of a delegation between the zone's apex and the name (a DS at the cut is the parent's to
    /// answer), or nil.
    func referral(_ q: Question, in zone: Zone) -> [ResourceRecord]? {
        var cuts: [DomainName] = []
        var n = q.name
        while n != zone.origin && !n.isRoot {
            cuts.append(n)
            n = n.parent
        }
        for cut in cuts.reversed() {
            guard let ns = zone.nodes[cut]?[.ns] else { continue }
            if cut == q.name && q.type == .ds { return nil }
            return ns
        }
        return nil
    }

    /// A node's records for `name`: its own, or synthesized from a wildcard (RFC 4592) when the name does not
    /// exist; nil when there is neither.
    func lookup(_ name: DomainName, _ zone: Zone) -> (records: [RecordType: [ResourceRecord]], Void)? {
        if let node = zone.nodes[name] { return (node, ()) }
        if zone.existing.contains(name) { return ([:], ()) }
        // The closest encloser: the longest existing ancestor; the wildcard below it is the source.
        var encloser = name.parent
        while !zone.existing.contains(encloser) && encloser != zone.origin && !encloser.isRoot {
            encloser = encloser.parent
        }
        guard let star = try? DomainName(labels: [[UInt8(ascii: "*")]] + encloser.labels.map(Array.init)),
            let node = zone.nodes[star]
        else { return nil }
        return (node, ())
    }

    func negativeSOA(_ zone: Zone) -> [ResourceRecord] {
        guard let soa = zone.soa, case .soa(let v) = soa.rdata else { return [] }
        return [ResourceRecord(name: zone.origin, ttl: min(soa.ttl, v.minimum), rdata: soa.rdata)]
    }

    /// A and AAAA records of `targets` that the answering zone itself holds (the A records first, each name once):
    /// NSD adds no additional data from its other zones.
    func glue(_ targets: [DomainName], _ zone: Zone) -> [ResourceRecord] {
        var out: [ResourceRecord] = []
        for type in [RecordType.a, .aaaa] {
            var done: Set<DomainName> = []
            for t in targets where done.insert(t).inserted && (t == zone.origin || t.isSubdomain(of: zone.origin)) {
                out += zone.nodes[t]?[type] ?? []
            }
        }
        return out
    }
}

extension ZoneSet {
    /// Reads a folder of `*.zone` files, or one such file: each file is one zone, named by its SOA's owner (its
    /// `$ORIGIN`) or else by the file name without `.zone`. Every error of every file is returned, sorted.
    public static func load(_ path: String, reader: any ZoneFileReader = DiskZoneFileReader()) -> (
        ZoneSet, [ZoneFileError]
    ) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            return (ZoneSet(), [ZoneFileError(file: path, line: 0, column: 0, message: "no such file or folder")])
        }
        var files: [String] = [path]
        if isFolder.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { $0.hasSuffix(".zone") }.sorted().map {
                URL(fileURLWithPath: path).appendingPathComponent($0).path
            }
            if files.isEmpty {
                return (ZoneSet(), [ZoneFileError(file: path, line: 0, column: 0, message: "no *.zone files in it")])
            }
        }
        var set = ZoneSet()
        var errors: [ZoneFileError] = []
        var budget = MasterFile.maxRecords
        for file in files {
            var base = URL(fileURLWithPath: file).lastPathComponent
            if base.hasSuffix(".zone") { base.removeLast(5) }
            guard let fileOrigin = try? DomainName(parsing: base.hasSuffix(".") ? base : base + ".") else {
                errors.append(ZoneFileError(file: file, line: 0, column: 0, message: "\(base) is not a zone name"))
                continue
            }
            let parsed = MasterFile(path: file, origin: fileOrigin, reader: reader, budget: budget)
            budget -= parsed.records.count
            errors += parsed.errors
            guard parsed.errors.isEmpty else { continue }
            let soas = parsed.records.filter { $0.type == .soa }
            let origin = soas.count == 1 ? soas[0].name : fileOrigin
            for problem in set.add(origin: origin, records: parsed.records) {
                errors.append(ZoneFileError(file: file, line: 0, column: 0, message: problem))
            }
            if budget <= 0 { break }
        }
        return (set, errors.sorted())
    }
}

extension Zone {
    /// Every owner name with the types it has (tests ask about each).
    public var allNodes: [DomainName: [RecordType]] { nodes.mapValues { Array($0.keys) } }
}
