import NIOCore

/// A handler that writes many small messages in one event-loop turn and flushes them once.
protocol FlushCoalescing: AnyObject {
    var context: ChannelHandlerContext? { get }
    var flushPending: Bool { get set }
}

extension FlushCoalescing {
    /// One flush for the writes of this turn of the event loop, however many ask for it: NIO then sends
    /// the queued datagrams with one `sendmmsg`, the queued TCP frames with one `writev`, instead of a system
    /// call a query.
    func flushAtEndOfTurn(_ context: ChannelHandlerContext) {
        guard !flushPending else { return }
        flushPending = true
        context.eventLoop.assumeIsolated().execute { [weak self] in
            guard let self, let context = self.context else { return }
            self.flushPending = false
            context.flush()
        }
    }
}

/// A handler whose queries time out by one sweep every `timeoutSweepInterval` while any are in flight, rather
/// than by a timer a query (scheduling and cancelling one per query was a visible share of a fleet run). A query
/// times out at most one interval late.
protocol SweepsTimeouts: AnyObject {
    var context: ChannelHandlerContext? { get }
    var sweep: Scheduled<Void>? { get set }
    /// Ends (or retransmits) what is due at `now`; returns whether queries are still in flight.
    func expireDue(at now: NIODeadline) -> Bool
}

let timeoutSweepInterval = TimeAmount.milliseconds(10)

extension SweepsTimeouts {
    /// Starts the sweep, unless it runs already; it stops when nothing is in flight.
    func scheduleSweep(_ context: ChannelHandlerContext) {
        guard sweep == nil else { return }
        sweep = context.eventLoop.assumeIsolated().scheduleTask(in: timeoutSweepInterval) { [weak self] in
            guard let self else { return }
            self.sweep = nil
            if self.expireDue(at: .now()), let context = self.context { self.scheduleSweep(context) }
        }
    }

    func stopSweep() {
        sweep?.cancel()
        sweep = nil
    }
}
