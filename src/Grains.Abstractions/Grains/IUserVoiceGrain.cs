namespace DmVoice.Abstractions;

/// <summary>
/// A user's voice presence (key: user id): the one active call, the devices that are connected
/// and on which gateways, and the live calls the user can see. Joining another call leaves the
/// first. It is the authority on the user's routes: the live calls that send the user events hear
/// from it whenever the user's set of gateways changes.
/// </summary>
[Alias("DmVoice.IUserVoiceGrain")]
public interface IUserVoiceGrain : IGrainWithStringKey
{
    /// <summary>Joins the DM's call (starting it when nobody is in it). Leaves any other call (<c>moved</c>).</summary>
    [Alias("JoinDmCall")]
    Task<JoinResult> JoinDmCall(string dmGroupId, JoinRequest request);

    /// <summary>Joins the voice channel's voice. Leaves any other call (<c>moved</c>).</summary>
    [Alias("JoinChannel")]
    Task<ChannelJoinResult> JoinChannel(string channelId, JoinRequest request);

    /// <summary>
    /// Leaves the DM's call; <see cref="ErrorCodes.NotInCall"/> when the user is not in it, or when
    /// <paramref name="deviceId"/> names a device that no longer holds the seat.
    /// </summary>
    [Alias("LeaveDmCall")]
    Task LeaveDmCall(string dmGroupId, string? deviceId = null);

    /// <summary>Leaves the channel's voice, as <see cref="LeaveDmCall"/> does a DM's call.</summary>
    [Alias("LeaveChannel")]
    Task LeaveChannel(string channelId, string? deviceId = null);

    /// <summary>The user's call and the device that holds the seat; null when in none. Interleaving read.</summary>
    [AlwaysInterleave]
    [Alias("GetSeat")]
    Task<VoiceSeat?> GetSeat();

    /// <summary>
    /// Where the user's devices are now, without registering anything: for a room that is not live
    /// (a voice channel's own changes) and so holds no routes of its own. Read-only and interleaving,
    /// like <see cref="GetSeat"/>, so a room can ask while the user grain waits on it.
    /// </summary>
    [AlwaysInterleave]
    [Alias("GetRoutes")]
    Task<GatewayRoute[]> GetRoutes();

    /// <summary>
    /// A call this user can see went live (or the user was added to a DM with a live call). Answers
    /// whether the user is busy elsewhere and where their devices are, and keeps the call posted on
    /// route changes until <see cref="RemoveLiveCall"/>. With a <paramref name="ring"/> question (a DM call
    /// about to ring the user), it also answers whether and how they may be rung (<see cref="MemberStatus.Ring"/>),
    /// so a call start asks each member once. Interleaving, so call grains can ask while the user grain
    /// waits on a call grain. The index is rebuildable: a call registers again at each new activation and
    /// member check, so a registration is stored with the grain's next write, or within
    /// <c>Calls:DeferredWriteDelay</c>, not by a write of its own.
    /// </summary>
    [AlwaysInterleave]
    [Alias("AddLiveCall")]
    Task<MemberStatus> AddLiveCall(LiveCallRef call, RingQuestion? ring);

    /// <summary>
    /// The user's ring settings are about to change: the copy this grain keeps of them (from
    /// <see cref="IUserSettingsGrain.GetRingSettings"/>) is dropped, and a copy asked for before now is not
    /// kept. Called by the user's settings grain before it changes them; interleaving and in memory only,
    /// so it answers even while this grain waits on that settings grain.
    /// </summary>
    [AlwaysInterleave]
    [Alias("ForgetRingSettings")]
    Task ForgetRingSettings();

    /// <summary>
    /// <paramref name="callerId"/> rang this user again inside a live call (stored; a hidden ring of a blocked
    /// caller too): it counts against the caller's limit for this user. One-way, sent by the call after its
    /// state is written; a call start's rings count with <see cref="DmActivity"/>. Counts live in memory: a
    /// new activation forgets them, which only ever lets a ring through.
    /// </summary>
    [OneWay]
    [Alias("CountRing")]
    Task CountRing(string callerId);

    /// <summary>
    /// The call ended, or the user left its DM. Only removes that very call (a newer call of the same
    /// DM stays). One-way: call grains never wait on this grain. Stored with the grain's next write: an
    /// entry that outlives its call is dropped when a read or a route change finds it stale.
    /// </summary>
    [OneWay]
    [Alias("RemoveLiveCall")]
    Task RemoveLiveCall(LiveCallRef call);

    /// <summary>The live calls this user can see: what a (re)connecting device starts from.</summary>
    [AlwaysInterleave]
    [Alias("GetLiveCalls")]
    Task<IReadOnlyList<LiveCallRef>> GetLiveCalls();

    /// <summary>
    /// Told by a call grain that the user is no longer in its call (removed, disconnected, call ended).
    /// One-way, so the call grain never waits on this grain.
    /// </summary>
    [OneWay]
    [Alias("OnRemovedFromCall")]
    Task OnRemovedFromCall(CallContext call, long session);

    /// <summary>
    /// A device connected on a gateway. When this returns, every live call the user can see sends
    /// to that gateway too, so a snapshot taken afterwards misses no later event. <paramref name="deviceId"/>
    /// is the device the client says it is (what its joins name), if it said.
    /// </summary>
    [Alias("ConnectionOpened")]
    Task ConnectionOpened(string connectionKey, GatewayRoute gateway, string? deviceId = null);

    /// <summary>A device disconnected; when none is left, the user leaves their call after a grace.</summary>
    [Alias("ConnectionClosed")]
    Task ConnectionClosed(string connectionKey);

    /// <summary>A gateway's lease lapsed or was released: every device of the user there is closed.</summary>
    [OneWay]
    [Alias("GatewayLost")]
    Task GatewayLost(string gatewayId);

    /// <summary>
    /// Confirms with the call it names that the user's active call still holds their seat, and forgets
    /// it when not (a removal notice lost with a silo). Called by the grain itself after activation.
    /// </summary>
    [OneWay]
    [Alias("ConfirmActiveCall")]
    Task ConfirmActiveCall();

    /// <summary>Whether the user has any device connected, on any gateway (what others' view of their status rests on). Interleaving read.</summary>
    [AlwaysInterleave]
    [Alias("HasLiveDevice")]
    Task<bool> HasLiveDevice();

    /// <summary>
    /// A call started in one of the user's DMs: the DM moves up in the user's list. Held here (every member of a
    /// starting call has this grain active already) and handed to the user's <see cref="IUserDirectoryGrain"/>
    /// within <c>Calls:DirectoryOrderWriteDelay</c> or at deactivation, so a call start activates no DM list;
    /// a read of the list asks for what is held (<see cref="GetHeldDmActivity"/>). When the start rang this user,
    /// <paramref name="rungBy"/> is the caller, and the ring counts against their limit (as <see cref="CountRing"/>).
    /// One-way: call grains never wait on it.
    /// </summary>
    [OneWay]
    [Alias("DmActivity")]
    Task DmActivity(string dmGroupId, DateTimeOffset at, string? rungBy);

    /// <summary>
    /// The DM activity held for the user's list and not handed over yet. Read-only and interleaving, so the
    /// user's DM list can ask while this grain hands activity over to it.
    /// </summary>
    [AlwaysInterleave]
    [Alias("GetHeldDmActivity")]
    Task<DmActivityEntry[]> GetHeldDmActivity();

    /// <summary>Runs the device audit, the disconnect grace and the hand-over of held DM activity, when due. Called by the grain itself.</summary>
    [Alias("ProcessDeadlines")]
    Task ProcessDeadlines();
}

/// <summary>One live call in a user's index of the live calls they can see.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.LiveCallRef")]
public sealed record LiveCallRef(
    [property: Id(0)] CallContext Call,
    [property: Id(1)] string CallId);

/// <summary>What a call grain learns about a member when its call goes live, or checks later.</summary>
/// <param name="ActiveCall">The call the user is in, or is joining right now.</param>
/// <param name="Session">The user grain's join counter for that call.</param>
/// <param name="Joining">The join into <paramref name="ActiveCall"/> is still in flight.</param>
/// <param name="Ring">Whether and how the caller may ring the user, when the call asked (<see cref="RingQuestion"/>).</param>
[GenerateSerializer, Immutable]
[Alias("DmVoice.MemberStatus")]
public sealed record MemberStatus(
    [property: Id(0)] CallContext? ActiveCall,
    [property: Id(1)] GatewayRoute[] Routes,
    [property: Id(2)] long Session = 0,
    [property: Id(3)] bool Joining = false,
    [property: Id(4)] RingVerdict? Ring = null);

/// <summary>A DM call about to ring a member asks: may <paramref name="CallerId"/> ring you in <paramref name="DmGroupId"/>, and how?</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.RingQuestion")]
public sealed record RingQuestion(
    [property: Id(0)] string CallerId,
    [property: Id(1)] string DmGroupId);
