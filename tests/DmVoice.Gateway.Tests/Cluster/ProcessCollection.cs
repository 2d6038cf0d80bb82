namespace DmVoice.Gateway.Tests.Cluster;

/// <summary>
/// Tests that start real silo and gateway processes run one class at a time: each starts several
/// .NET processes, and a small CI machine runs them best one cluster after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "real processes";
}
