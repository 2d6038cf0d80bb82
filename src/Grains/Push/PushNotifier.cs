namespace DmVoice.Grains.Push;

/// <summary>
/// Where a call hands over push notifications (one-way: it never waits). With push off it does nothing,
/// so no outbox is ever activated; with push on it passes each notification to the recipient's
/// <see cref="IPushOutboxGrain"/>. Only rings with sound are pushed: a silent ring is not handed over.
/// </summary>
public interface IPushNotifier
{
    bool IsEnabled { get; }

    void RingStarted(string recipientId, RingStartedPush push);

    void RingStopped(string recipientId, RingStoppedPush push);
}

/// <summary>Push is on: notifications go to the recipient's outbox.</summary>
public sealed class GrainPushNotifier(IGrainFactory grains) : IPushNotifier
{
    public bool IsEnabled => true;

    public void RingStarted(string recipientId, RingStartedPush push) =>
        grains.GetGrain<IPushOutboxGrain>(recipientId).RingStarted(push).Ignore();

    public void RingStopped(string recipientId, RingStoppedPush push) =>
        grains.GetGrain<IPushOutboxGrain>(recipientId).RingStopped(push).Ignore();
}

/// <summary>Push is off (no <c>Push:Url</c>).</summary>
public sealed class NoPushNotifier : IPushNotifier
{
    public bool IsEnabled => false;

    public void RingStarted(string recipientId, RingStartedPush push)
    {
    }

    public void RingStopped(string recipientId, RingStoppedPush push)
    {
    }
}
