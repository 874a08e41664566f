// The parts of Docker's inspect answers that the rollout steps read. Declared here (rather than taken from @types/dockerode) so the
// pure helpers import no adapter library, and because those typings miss fields we need (StopTimeout, StopSignal, MacAddress…).

/** A healthcheck as Docker stores it; durations are nanoseconds. */
export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** `Config` of a container, or (without `Image`) the defaults an image gives its containers. */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

/** One entry of `HostConfig.Mounts` (the `--mount` syntax). */
export interface MountSpec {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  [key: string]: unknown;
}

/** `HostConfig` of a container: the fields freshen rewrites are typed, everything else is carried over untouched. */
export interface HostConfigInfo {
  Binds?: string[] | null;
  Mounts?: MountSpec[] | null;
  Links?: string[] | null;
  NetworkMode?: string;
  PortBindings?: Record<string, unknown> | null;
  AutoRemove?: boolean;
  [key: string]: unknown;
}

/** One entry of a container's `Mounts` (what is really mounted, anonymous volumes included). */
export interface MountPoint {
  Type: string;
  Name?: string;
  Source?: string;
  Destination: string;
  RW?: boolean;
  [key: string]: unknown;
}

/** A container's endpoint on one network, as inspect shows it. */
export interface EndpointInfo {
  IPAMConfig?: Record<string, unknown> | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  DriverOpts?: Record<string, string> | null;
  [key: string]: unknown;
}

/** What `GET /containers/{id}/json` answers, as far as the rollout steps read it. */
export interface ContainerInspect {
  Id: string;
  /** With Docker's leading slash: `/web`. */
  Name: string;
  /** The image ID the container runs. */
  Image: string;
  RestartCount?: number;
  State: {
    Status: string;
    Running: boolean;
    Restarting?: boolean;
    ExitCode?: number;
    StartedAt?: string;
    Health?: { Status: string; FailingStreak?: number; Log?: Array<{ ExitCode: number; Output: string }> | null } | null;
  };
  Config: ContainerConfig & { Image: string };
  HostConfig: HostConfigInfo;
  Mounts?: MountPoint[] | null;
  NetworkSettings?: { Networks?: Record<string, EndpointInfo> | null } | null;
  /** On Podman: the pod the container belongs to, by name (Podman's own API says; its Docker-compatible inspect does not). */
  PodmanPod?: string;
}

/** The body of `POST /containers/create` (plus `name`), structurally what dockerode's `createContainer` takes. */
export interface ContainerCreateOptions extends Omit<ContainerConfig, 'Image'> {
  name: string;
  Image: string;
  HostConfig: HostConfigInfo;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointSpec> };
}

/** An endpoint as create and `POST /networks/{id}/connect` take it. */
export interface EndpointSpec {
  IPAMConfig?: Record<string, unknown>;
  Links?: string[];
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

/** A network to connect the replacement to after creation (API 1.41 accepts only one network at create). */
export interface NetworkConnection {
  network: string;
  EndpointConfig: EndpointSpec;
}

/** `NAME` without Docker's leading slash. */
export const containerName = (inspect: Pick<ContainerInspect, 'Name'>): string => inspect.Name.replace(/^\//, '');
