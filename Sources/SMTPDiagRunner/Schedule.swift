import NIOConcurrencyHelpers
import SMTPDiagDNSWire
import SMTPDiagPlan

/// The plan as a graph of indices, handed to workers as their prerequisites finish, earliest in plan order
/// first: a domain's later checks run before the next domains start, so what a domain's checks share (its
/// cached DNS answers) can be let go of as soon as its last check is done, and memory stays flat however
/// many domains a run has. (Running the plan level by level kept every answer of every domain to the end.)
final class Schedule: @unchecked Sendable {
    let checks: [Check]
    /// Prerequisites of check `i` are `prerequisites[prerequisiteStart[i]..<prerequisiteStart[i + 1]]`, in the
    /// order of `checks[i].dependencies`; -1 for one that is not in the plan (filtered out).
    private let prerequisiteStart: [Int32]
    private let prerequisites: [Int32]
    private let dependentStart: [Int32]
    private let dependents: [Int32]
    /// The group (checks tied by prerequisites or by domain) of each check.
    let group: [Int32]

    private let lock = NIOLock()
    private var unmet: [Int32]
    private var remaining: [Int32]
    private var ready = MinHeap()
    private var status: [CheckStatus?]
    private var inFlight = 0
    private var finishedCount = 0
    private var cancelled = false
    private var waiters: [CheckedContinuation<Taken?, Never>] = []
    /// Results in the order they finished, packed.
    private var packer: ResultPacker

    init(_ checks: [Check]) {
        self.checks = checks
        let n = checks.count
        // Only the checks others wait for are looked up by id (an index of every id would copy them all).
        var awaited = Set<CheckID>()
        for c in checks { awaited.formUnion(c.dependencies) }
        var index: [CheckID: Int32] = [:]
        index.reserveCapacity(awaited.count)
        if !awaited.isEmpty {
            for i in 0..<n where awaited.contains(checks[i].id) && index[checks[i].id] == nil {
                index[checks[i].id] = Int32(i)
            }
        }

        var start: [Int32] = [0]
        start.reserveCapacity(n + 1)
        var list: [Int32] = []
        var unmet = [Int32](repeating: 0, count: n)
        var dependentCount = [Int32](repeating: 0, count: n + 1)
        for i in 0..<n {
            for d in checks[i].dependencies {
                let j = index[d] ?? -1
                list.append(j)
                if j >= 0 {
                    unmet[i] += 1
                    dependentCount[Int(j)] += 1
                }
            }
            start.append(Int32(list.count))
        }
        // Dependents, the other way round (counting sort).
        var dStart = [Int32](repeating: 0, count: n + 1)
        for i in 0..<n { dStart[i + 1] = dStart[i] + dependentCount[i] }
        var fill = dStart
        var dList = [Int32](repeating: 0, count: Int(dStart[n]))
        for i in 0..<n {
            for k in Int(start[i])..<Int(start[i + 1]) where list[k] >= 0 {
                let j = Int(list[k])
                dList[Int(fill[j])] = Int32(i)
                fill[j] += 1
            }
        }

        // Groups: union-find over prerequisites and shared domains.
        var parent = Array(0..<n)
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        func union(_ a: Int, _ b: Int) {
            let (ra, rb) = (root(a), root(b))
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        var firstOfDomain: [DomainName: Int] = [:]
        for i in 0..<n {
            if let f = firstOfDomain[checks[i].domain] { union(i, f) } else { firstOfDomain[checks[i].domain] = i }
            for k in Int(start[i])..<Int(start[i + 1]) where list[k] >= 0 { union(i, Int(list[k])) }
        }
        var dense: [Int: Int32] = [:]
        var group = [Int32](repeating: 0, count: n)
        var remaining: [Int32] = []
        for i in 0..<n {
            let r = root(i)
            let g: Int32
            if let d = dense[r] {
                g = d
            } else {
                g = Int32(remaining.count)
                dense[r] = g
                remaining.append(0)
            }
            group[i] = g
            remaining[Int(g)] += 1
        }

        prerequisiteStart = start
        prerequisites = list
        dependentStart = dStart
        dependents = dList
        self.group = group
        self.unmet = unmet
        self.remaining = remaining
        status = Array(repeating: nil, count: n)
        // Most checks give one result: room for them up front, not doubled by growth at the end of a run.
        packer = ResultPacker(expected: n + n / 8)
        for i in 0..<n where unmet[i] == 0 { ready.push(Int32(i)) }
    }

    /// A check handed to a worker, with the first of its prerequisites that did not pass (and that one's
    /// status, nil when it did not run), if any: then the check is skipped.
    struct Taken: Sendable {
        let index: Int
        let blocker: (CheckID, CheckStatus?)?
    }

    /// Takes the earliest ready check. Called with the lock held.
    private func takeLocked() -> Taken? {
        guard !cancelled, let i = ready.pop().map(Int.init) else { return nil }
        inFlight += 1
        for (k, p) in zip(Int(prerequisiteStart[i])..<Int(prerequisiteStart[i + 1]), checks[i].dependencies) {
            let j = Int(prerequisites[k])
            let s = j >= 0 ? status[j] : nil
            if s != .pass { return Taken(index: i, blocker: (p, s)) }
        }
        return Taken(index: i, blocker: nil)
    }

    private enum Take {
        case check(Taken)
        case none
        case wait
    }

    /// A ready check, or nothing left to hand out, or wait for a check to finish. Called with the lock held.
    private func decideLocked() -> Take {
        if let t = takeLocked() { return .check(t) }
        return cancelled || inFlight == 0 ? .none : .wait
    }

    /// The next check to evaluate, or nil when nothing is left (or the run was cancelled).
    func next() async -> Taken? {
        // Without suspending when a check is ready (most of the time in a large run).
        switch lock.withLock({ decideLocked() }) {
        case .check(let t): return t
        case .none: return nil
        case .wait: break
        }
        return await withCheckedContinuation { (c: CheckedContinuation<Taken?, Never>) in
            lock.withLock {
                switch decideLocked() {
                case .check(let t): c.resume(returning: t)
                case .none: c.resume(returning: nil)
                case .wait: waiters.append(c)
                }
            }
        }
    }

    /// Records check `i`'s results and releases its dependents. Returns how many checks have finished, the
    /// group when this was its last check, and the next check for the same worker when one is ready (one
    /// lock a check: two workers finishing and taking at once waited on each other, measured).
    func finish(_ i: Int, _ r: [CheckResult]) -> (finished: Int, groupDone: Int?, next: Taken?) {
        var st = CheckStatus.pass
        if r.contains(where: { $0.status == .fail }) {
            st = .fail
        } else if r.contains(where: { $0.status == .error }) {
            st = .error
        } else if r.contains(where: { $0.status == .skip }) {
            st = .skip
        }
        // Encoded before taking the lock: workers finishing at once wait on each other only for the copy.
        let packed = r.map { ResultPacker.encode($0, check: i) }
        return lock.withLock {
            status[i] = st
            packer.append(packed, check: i)
            finishedCount += 1
            inFlight -= 1
            for k in Int(dependentStart[i])..<Int(dependentStart[i + 1]) {
                let d = Int(dependents[k])
                unmet[d] -= 1
                if unmet[d] == 0 { ready.push(Int32(d)) }
            }
            let g = Int(group[i])
            remaining[g] -= 1
            wake()
            return (finishedCount, remaining[g] == 0 ? g : nil, takeLocked())
        }
    }

    /// Gives back a check that was taken but not finished (the run was cancelled during it).
    func abandon(_ i: Int) {
        lock.withLock {
            inFlight -= 1
            wake()
        }
    }

    /// Ends the schedule: waiting workers get nil, and so does every later `next()`.
    func cancel() {
        lock.withLock {
            cancelled = true
            wake()
        }
    }

    /// Hands ready checks to waiting workers; when nothing can become ready any more, ends them all.
    private func wake() {
        while !waiters.isEmpty, let t = takeLocked() {
            waiters.removeLast().resume(returning: t)
        }
        if cancelled || (ready.isEmpty && inFlight == 0) {
            for w in waiters { w.resume(returning: nil) }
            waiters = []
        }
    }

    /// Every result in plan order (each check's results in the order it gave them); a check that never
    /// finished gets `unfinished(check)`; then the results of `extra` checks (filtered out of the plan).
    func collect(unfinished: (Check) -> CheckResult, extra: [(Check, CheckResult)]) -> ResultList {
        lock.withLock {
            for i in 0..<checks.count where status[i] == nil { packer.pack(unfinished(checks[i]), check: i) }
            for (k, (_, r)) in extra.enumerated() { packer.pack(r, check: checks.count + k) }
            return ResultList(packed: packer.finish(checks: checks, extra: extra.map(\.0)))
        }
    }
}

/// A binary min-heap of check indices.
struct MinHeap {
    private var items: [Int32] = []
    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ x: Int32) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard items[p] > items[i] else { break }
            items.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> Int32? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
