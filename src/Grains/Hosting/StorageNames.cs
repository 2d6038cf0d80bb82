namespace DmVoice.Grains.Hosting;

/// <summary>Grain storage provider names.</summary>
public static class StorageNames
{
    /// <summary>Holds every DmVoice grain's state.</summary>
    public const string Default = "dmvoice";
}
