namespace DmVoice.Grains.Events;

/// <summary>
/// Pushes each event straight to the gateways that hold the recipients' connections: one one-way
/// message per gateway per event, naming the recipients there. No lookup happens here: the routes
/// were handed over by the members' user grains before the grain needed them, and are kept current
/// by those grains (the authority on routes) while the call is live.
/// </summary>
/// <param name="senderId">Unique per activation: sequences restart with every new sender.</param>
/// <param name="localGateways">Gateways in this process, handed their deliveries directly (see <see cref="LocalGateways"/>).</param>
internal sealed class DirectEventPublisher(string senderId, LocalGateways? localGateways) : IEventPublisher
{
    private static readonly GatewayRoute[] NoRoutes = [];

    private readonly Dictionary<string, GatewayRoute[]> _routes = new(StringComparer.Ordinal);

    // Per gateway, never reset while this activation lives: the gateway orders deliveries by it.
    private readonly Dictionary<string, long> _sequences = new(StringComparer.Ordinal);

    // Reused per event: grains are single-threaded, and one event's batches are built and sent
    // before the next event starts.
    private readonly Dictionary<string, (IGatewayObserver Observer, List<string> Users)> _byGateway = new(StringComparer.Ordinal);

    public bool UsesRoutes => true;

    public void SetRoutes(string userId, GatewayRoute[] routes) => _routes[userId] = routes ?? NoRoutes;

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

        foreach (var (gatewayId, (observer, users)) in _byGateway)
        {
            var sequence = _sequences.GetValueOrDefault(gatewayId) + 1;
            _sequences[gatewayId] = sequence;

            // One-way: completes at once, and a gateway that has gone away costs nothing here.
            var delivery = new EventDelivery(voiceEvent, users.ToArray(), senderId, sequence);
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
