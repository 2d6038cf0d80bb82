namespace DmVoice.Abstractions;

/// <summary>
/// A gateway process as grains see it: where the events of the users connected to it are pushed
/// (with <c>Cluster:EventDelivery=Direct</c>). A grain sends each event once per gateway, naming
/// the recipients connected there; the gateway fans it out to their connections.
/// </summary>
[Alias("DmVoice.IGatewayObserver")]
public interface IGatewayObserver : IGrainObserver
{
    /// <summary>
    /// A stored change's events for some of the users connected to this gateway. One-way: a grain never
    /// waits on a gateway, and a gateway that is gone costs the sender nothing.
    /// </summary>
    [OneWay]
    [Alias("Deliver")]
    Task Deliver(EventDelivery delivery);

    /// <summary>
    /// The connection keys of the user's connections this gateway holds right now. A user grain asks
    /// in its device audit, to forget devices whose close never reached it. The gateway registers a
    /// connection before telling the user grain, so an open device is never missing from the answer.
    /// </summary>
    [Alias("HeldConnections")]
    Task<string[]> HeldConnections(string userId);
}

/// <summary>
/// The events of one stored change of a sender, for the users on one gateway: <paramref name="Event"/>
/// and, when the change made several (a join that answers a ring: joined, ring stopped; a last leave: left, rings stopped, call ended),
/// the <paramref name="Following"/> ones, in order, each with its own users here. One message per
/// gateway per change, however many events. Immutable, so a call between a grain and a gateway in the
/// same process (the embedded default) passes it without a copy.
/// </summary>
/// <param name="SenderId">The sending grain activation; a new activation is a new sender.</param>
/// <param name="Sequence">
/// 1, 2, 3, … per sender and gateway. Orleans does not keep one-way messages in order (a gateway
/// connected to several silos receives them by several routes), so the gateway restores the order
/// from this number before anything reaches a device.
/// </param>
/// <param name="Resumes">
/// The sender's previous delivery to this gateway is long past (or there was none): everything before
/// <paramref name="Sequence"/> was released long ago, so a gateway that has forgotten this quiet sender
/// (a call nobody changed for many minutes) starts from here instead of waiting for a gap to close.
/// </param>
/// <param name="Following">
/// The change's later events, released right after <paramref name="Event"/> under the same sequence
/// number. A gateway of an older release ignores them; its devices see the version gap at the next event
/// and re-fetch.
/// </param>
[GenerateSerializer, Immutable]
[Alias("DmVoice.EventDelivery")]
public sealed record EventDelivery(
    [property: Id(0)] VoiceEvent Event,
    [property: Id(1)] string[] UserIds,
    [property: Id(2)] string SenderId,
    [property: Id(3)] long Sequence,
    [property: Id(4)] bool Resumes = false,
    [property: Id(5)] DeliveredEvent[]? Following = null)
{
    /// <summary>Every event of the delivery, in order, each with the users here it is for.</summary>
    public IEnumerable<DeliveredEvent> Events =>
        Following is null ? [new DeliveredEvent(Event, UserIds)] : [new DeliveredEvent(Event, UserIds), .. Following];
}

/// <summary>One event of an <see cref="EventDelivery"/> and the users on the gateway it is for.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.DeliveredEvent")]
public sealed record DeliveredEvent(
    [property: Id(0)] VoiceEvent Event,
    [property: Id(1)] string[] UserIds);

/// <summary>Where one of a user's devices is connected: a gateway's id and its observer.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.GatewayRoute")]
public sealed record GatewayRoute(
    [property: Id(0)] string GatewayId,
    [property: Id(1)] IGatewayObserver Observer);
