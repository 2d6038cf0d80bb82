namespace DmVoice.Abstractions;

/// <summary>
/// Makes LiveKit webhooks idempotent across gateways (key: LiveKit room name): remembers the ids of the
/// room's recent events in memory. LiveKit redelivers within seconds, so forgetting when the room has
/// been quiet long enough for the grain to be collected is fine.
/// </summary>
[Alias("DmVoice.ILiveKitWebhookGrain")]
public interface ILiveKitWebhookGrain : IGrainWithStringKey
{
    /// <summary>True the first time an event id is claimed; false for a redelivery.</summary>
    [Alias("TryClaim")]
    Task<bool> TryClaim(string eventId);

    /// <summary>Forgets a claim whose processing failed, so LiveKit's retry is processed.</summary>
    [Alias("Release")]
    Task Release(string eventId);
}
