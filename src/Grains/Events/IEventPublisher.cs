namespace DmVoice.Grains.Events;

/// <summary>
/// Sends a grain's committed events to their recipients. One instance per grain activation, used
/// only from the grain's own turns. Two implementations, one per <c>Cluster:EventDelivery</c> mode,
/// behind the same rules: events go out only after the change they describe was stored, in the
/// order they were made.
/// </summary>
internal interface IEventPublisher
{
    /// <summary>Whether this publisher needs members' gateway routes (only direct delivery does).</summary>
    bool UsesRoutes { get; }

    /// <summary>
    /// Where the user's devices are now (replaces what was known). Returns whether the user's routes
    /// were known and now include a gateway they did not: a device there may have missed what was sent
    /// before this grain learned of it.
    /// </summary>
    bool SetRoutes(string userId, GatewayRoute[] routes);

    /// <summary>The user no longer receives this grain's events.</summary>
    void ForgetRoutes(string userId);

    /// <summary>Sends one event to every user in <paramref name="audience"/>.</summary>
    Task PublishAsync(VoiceEvent voiceEvent, string[] audience);

    /// <summary>
    /// Sends the events of one stored change, in order. By default one after another; direct delivery
    /// sends each gateway one message for all of them.
    /// </summary>
    async Task PublishAllAsync(IReadOnlyList<(VoiceEvent Event, string[] Audience)> events)
    {
        foreach (var (voiceEvent, audience) in events)
        {
            await PublishAsync(voiceEvent, audience);
        }
    }
}
