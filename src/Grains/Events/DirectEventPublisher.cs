namespace DmVoice.Grains.Events;

/// <summary>
/// Pushes events straight to the gateways that hold the recipients' connections: one one-way message
/// per gateway per stored change, carrying each of the change's events with the recipients there (a
/// join that answers a ring is one message, not two). No lookup happens here: the routes
/// were handed over by the members' user grains before the grain needed them, and are kept current
/// by those grains (the authority on routes) while the call is live.
/// </summary>
/// <param name="senderId">Unique per activation: sequences restart with every new sender.</param>
/// <param name="localGateways">Gateways in this process, handed their deliveries directly (see <see cref="LocalGateways"/>).</param>
/// <param name="time">When deliveries are sent, to mark the first after a long quiet (<see cref="EventDelivery.Resumes"/>).</param>
internal sealed class DirectEventPublisher(string senderId, LocalGateways? localGateways, TimeProvider time) : IEventPublisher
{
    /// <summary>
    /// A delivery sent this long after the previous one to its gateway says it resumes: well within the
    /// time after which a gateway forgets a quiet sender, so a gateway that forgot is always told.
    /// </summary>
    public static readonly TimeSpan ResumeAfter = DeliveryOrdering.IdleSender / 2;

    private static readonly GatewayRoute[] NoRoutes = [];

    private readonly Dictionary<string, GatewayRoute[]> _routes = new(StringComparer.Ordinal);

    // Per gateway, never reset while this activation lives: the gateway orders deliveries by it.
    private readonly Dictionary<string, (long Sequence, long SentAt)> _sequences = new(StringComparer.Ordinal);

    // Reused per change: grains are single-threaded, and one change's deliveries are built and sent
    // before the next change starts.
    private readonly Dictionary<string, GatewayBatch> _byGateway = new(StringComparer.Ordinal);

    public bool UsesRoutes => true;

    public bool SetRoutes(string userId, GatewayRoute[] routes)
    {
        routes ??= NoRoutes;
        var gained = _routes.TryGetValue(userId, out var known) && routes.Any(route => Array.IndexOf(known, route) < 0);
        _routes[userId] = routes;
        return gained;
    }

    public void ForgetRoutes(string userId) => _routes.Remove(userId);

    public Task PublishAsync(VoiceEvent voiceEvent, string[] audience) => PublishAllAsync([(voiceEvent, audience)]);

    /// <summary>One delivery per gateway for all of the change's events with recipients there.</summary>
    public Task PublishAllAsync(IReadOnlyList<(VoiceEvent Event, string[] Audience)> events)
    {
        foreach (var (voiceEvent, audience) in events)
        {
            foreach (var userId in audience)
            {
                if (!_routes.TryGetValue(userId, out var routes))
                {
                    continue;
                }

                foreach (var route in routes)
                {
                    if (!_byGateway.TryGetValue(route.GatewayId, out var batch))
                    {
                        batch = new GatewayBatch(route.Observer);
                        _byGateway[route.GatewayId] = batch;
                    }

                    batch.Add(voiceEvent, userId);
                }
            }
        }

        var now = time.GetTimestamp();
        foreach (var (gatewayId, batch) in _byGateway)
        {
            var resumes = !_sequences.TryGetValue(gatewayId, out var previous) || time.GetElapsedTime(previous.SentAt, now) >= ResumeAfter;
            var sequence = previous.Sequence + 1;
            _sequences[gatewayId] = (sequence, now);

            // One-way: completes at once, and a gateway that has gone away costs nothing here.
            var delivery = batch.ToDelivery(senderId, sequence, resumes);
            if (localGateways is not null && localGateways.TryGet(gatewayId, out var local))
            {
                local.Deliver(delivery);
            }
            else
            {
                batch.Observer.Deliver(delivery);
            }
        }

        _byGateway.Clear();
        return Task.CompletedTask;
    }

    /// <summary>The events of one change for one gateway, in order, each with its users there.</summary>
    private sealed class GatewayBatch(IGatewayObserver observer)
    {
        private readonly List<(VoiceEvent Event, List<string> Users)> _events = new(1);

        public IGatewayObserver Observer => observer;

        public void Add(VoiceEvent voiceEvent, string userId)
        {
            // Events are added in order, so this event's users are the last entry's when it has one.
            if (_events.Count == 0 || !ReferenceEquals(_events[^1].Event, voiceEvent))
            {
                _events.Add((voiceEvent, new List<string>(2)));
            }

            _events[^1].Users.Add(userId);
        }

        public EventDelivery ToDelivery(string senderId, long sequence, bool resumes)
        {
            var following = _events.Count == 1
                ? null
                : _events.Skip(1).Select(e => new DeliveredEvent(e.Event, [.. e.Users])).ToArray();
            return new EventDelivery(_events[0].Event, [.. _events[0].Users], senderId, sequence, resumes, following);
        }
    }
}
