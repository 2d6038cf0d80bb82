namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// Exponential backoff, the one rule every retry in the grains follows: wait <see cref="Initial"/>
/// after the first failure, twice as long after each further one, never longer than <see cref="Max"/>.
/// </summary>
public readonly record struct Backoff(TimeSpan Initial, TimeSpan Max)
{
    /// <summary>Membership and channel-list propagation: 1 s doubling to 30 s.</summary>
    public static Backoff Propagation { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    /// <summary>The wait after <paramref name="failures"/> failures in a row (1 = after the first).</summary>
    public TimeSpan After(int failures)
    {
        if (failures <= 1)
        {
            return Initial;
        }

        var doublings = Math.Min(failures - 1, 30);
        var ticks = Initial.Ticks > Max.Ticks >> doublings ? Max.Ticks : Initial.Ticks << doublings;
        return TimeSpan.FromTicks(Math.Min(ticks, Max.Ticks));
    }
}
