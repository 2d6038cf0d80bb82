namespace DmVoice.Grains.Events;

/// <summary>
/// Pushes each event straight to the gateways that hold the recipients' connections: one one-way
/// message per gateway per event, naming the recipients there. No lookup happens here: the routes
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

    // Reused per event: grains are single-threaded, and one event's batches are built and sent
    // before the next event starts.
    private readonly Dictionary<string, (IGatewayObserver Observer, List<string> Users)> _byGateway = new(StringComparer.Ordinal);

    public bool UsesRoutes => true;

    public bool SetRoutes(string userId, GatewayRoute[] routes)
    {
        routes ??= NoRoutes;
        var gained = _routes.TryGetValue(userId, out var known) && routes.Any(route => Array.IndexOf(known, route) < 0);
        _routes[userId] = routes;
        return gained;
    }

    public void ForgetRoutes(string userId) => _routes.Remove(userId);

    public Task PublishAsync(VoiceEvent voiceEvent, string[] audience)
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
                    batch = (route.Observer, new List<string>(audience.Length));
                    _byGateway[route.GatewayId] = batch;
                }

                batch.Users.Add(userId);
            }
        }

        var now = time.GetTimestamp();
        foreach (var (gatewayId, (observer, users)) in _byGateway)
        {
            var resumes = !_sequences.TryGetValue(gatewayId, out var previous) || time.GetElapsedTime(previous.SentAt, now) >= ResumeAfter;
            var sequence = previous.Sequence + 1;
            _sequences[gatewayId] = (sequence, now);

            // One-way: completes at once, and a gateway that has gone away costs nothing here.
            var delivery = new EventDelivery(voiceEvent, users.ToArray(), senderId, sequence, resumes);
            if (localGateways is not null && localGateways.TryGet(gatewayId, out var local))
            {
                local.Deliver(delivery);
            }
            else
            {
                observer.Deliver(delivery);
            }
        }

        _byGateway.Clear();
        return Task.CompletedTask;
    }
}
