using Orleans.Runtime;

namespace DmVoice.Abstractions;

/// <summary>
/// Events are fanned out per recipient: one stream per user id. A DM has at most ten members but a
/// user may have thousands of DMs, so a gateway subscribes once per connected user, never per DM.
/// </summary>
public static class VoiceStreams
{
    /// <summary>The Orleans stream provider name, configured on silos and gateways alike.</summary>
    public const string ProviderName = "VoiceEvents";

    /// <summary>The stream namespace; the stream key is the recipient's user id.</summary>
    public const string UserNamespace = "dmvoice.user";

    /// <summary>The storage provider that keeps stream subscriptions (Orleans' convention).</summary>
    public const string PubSubStore = "PubSubStore";

    public static StreamId ForUser(string userId) => StreamId.Create(UserNamespace, userId);
}
