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
