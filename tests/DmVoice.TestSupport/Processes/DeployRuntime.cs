namespace DmVoice.TestSupport.Processes;

/// <summary>
/// The .NET runtime settings the deploy files give every silo and gateway (Dockerfiles, Compose,
/// Kubernetes, systemd), so processes started by the harness run the way a deployment runs them.
/// The deploy tests check that each deploy file carries exactly these; docs/BENCHMARKS.md says why each
/// one is there.
/// </summary>
public static class DeployRuntime
{
    public static readonly IReadOnlyDictionary<string, string?> Environment = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["DOTNET_gcServer"] = "0",
    };
}
