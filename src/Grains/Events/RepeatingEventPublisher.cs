namespace DmVoice.Grains.Events;

/// <summary>
/// Stream delivery's guard against an event lost without an error (<see cref="UnrepeatedEvents"/>):
/// <see cref="Delay"/> after the first event that has not been repeated, each recipient is sent
/// their latest event once more, so the last events of a call, which no later event follows, are
/// never lost for good. Wraps the owing publisher: a repeat that cannot be sent is owed like any event.
/// </summary>
internal sealed class RepeatingEventPublisher(IEventPublisher inner, IGrainBase grain) : IEventPublisher
{
    /// <summary>Long enough for a queue handed between silos to settle, short enough that a device is not stale for long.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(5);

    private readonly UnrepeatedEvents _unrepeated = new();
    private IGrainTimer? _timer;

    public bool UsesRoutes => inner.UsesRoutes;

    public bool SetRoutes(string userId, GatewayRoute[] routes) => inner.SetRoutes(userId, routes);

    public void ForgetRoutes(string userId) => inner.ForgetRoutes(userId);

    public async Task PublishAsync(VoiceEvent voiceEvent, string[] audience)
    {
        await inner.PublishAsync(voiceEvent, audience);
        _unrepeated.Sent(voiceEvent, audience);

        // Armed by the first unrepeated event and not pushed back by later ones: a busy room repeats
        // every few seconds rather than never.
        _timer ??= grain.RegisterGrainTimer(
            RepeatAsync,
            new GrainTimerCreationOptions { DueTime = Delay, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private async Task RepeatAsync()
    {
        _timer?.Dispose();
        _timer = null;
        foreach (var (voiceEvent, audience) in _unrepeated.Take())
        {
            await inner.PublishAsync(voiceEvent, audience);
        }
    }
}
