namespace DmVoice.Abstractions;

/// <summary>
/// The push notifications on their way to one user's push service (key: the recipient's user id). A call
/// hands a notification over one-way and goes on; the outbox keeps it in its state until the push service
/// took it, retrying with backoff, across silo restarts (a reminder wakes it). Per recipient, notifications
/// go out in the order they were handed over, so a ring's "stopped" never overtakes its "started".
/// Silos normally reach it through <c>IPushNotifier</c>, which does nothing while push is not configured.
/// </summary>
[Alias("DmVoice.IPushOutboxGrain")]
public interface IPushOutboxGrain : IGrainWithStringKey
{
    /// <summary>A ring started for this user. Only for rings with sound: silent rings are not pushed.</summary>
    [OneWay]
    [Alias("RingStarted")]
    Task RingStarted(RingStartedPush push);

    /// <summary>
    /// The ring stopped. When its "started" has not been tried yet, or has not arrived at all (one-way messages
    /// may overtake each other), neither is sent: the phone never rang.
    /// </summary>
    [OneWay]
    [Alias("RingStopped")]
    Task RingStopped(RingStoppedPush push);

    /// <summary>Sends whatever is due. Called by the grain's own timer and reminder.</summary>
    [Alias("DeliverDue")]
    Task DeliverDue();
}

/// <summary>A ring that started for the outbox's user.</summary>
/// <param name="HasLiveDevice">Whether the user has any device connected (the push service may then stay quiet on that device).</param>
[GenerateSerializer, Immutable]
[Alias("DmVoice.RingStartedPush")]
public sealed record RingStartedPush(
    [property: Id(0)] string DmGroupId,
    [property: Id(1)] string CallId,
    [property: Id(2)] string RingId,
    [property: Id(3)] string CallerId,
    [property: Id(4)] string CallerName,
    [property: Id(5)] DateTimeOffset ExpiresAt,
    [property: Id(6)] bool HasLiveDevice,
    [property: Id(7)] bool IsGroup);

/// <summary>A ring of the outbox's user that stopped, and why (one of <see cref="RingOutcomes"/>).</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.RingStoppedPush")]
public sealed record RingStoppedPush(
    [property: Id(0)] string DmGroupId,
    [property: Id(1)] string CallId,
    [property: Id(2)] string RingId,
    [property: Id(3)] string Reason);

/// <summary>The <c>type</c> of a push notification.</summary>
public static class PushTypes
{
    public const string RingStarted = "ring.started";
    public const string RingStopped = "ring.stopped";
}
