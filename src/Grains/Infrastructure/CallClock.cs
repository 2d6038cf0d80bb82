namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// The clock for call deadlines (rings, grace periods). It is registered apart from the
/// <see cref="TimeProvider"/> Orleans itself uses, so tests can drive call time with a fake clock
/// without freezing the runtime's own timers.
/// </summary>
public sealed class CallClock(TimeProvider timeProvider)
{
    public static CallClock System { get; } = new(TimeProvider.System);

    public TimeProvider TimeProvider { get; } = timeProvider;

    public DateTimeOffset UtcNow => TimeProvider.GetUtcNow();
}
