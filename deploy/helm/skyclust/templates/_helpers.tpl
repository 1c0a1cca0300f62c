{{/* The Python package of each service: `python -m <package>`. */}}
{{- define "skyclust.package" -}}
{{- $packages := dict "gateway" "skyclust_gateway" "identity" "skyclust_identity" "credential-vault" "skyclust_vault" "provisioning" "skyclust_provisioning" "network" "skyclust_network" "cost" "skyclust_cost" "notification" "skyclust_notification" -}}
{{- required (printf "unknown service %q in services" .) (get $packages .) -}}
{{- end -}}

{{/* Services with a database: a migrate Job each (the gateway has none). */}}
{{- define "skyclust.hasDatabase" -}}
{{- if ne . "gateway" }}true{{ end -}}
{{- end -}}

{{- define "skyclust.namespace" -}}
{{- .Values.namespace | default .Release.Namespace -}}
{{- end -}}

{{/* Labels of one service; call with (dict "root" $ "name" $name). */}}
{{- define "skyclust.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: skyclust
{{- end -}}

{{- define "skyclust.labels" -}}
{{ include "skyclust.selector" . }}
app.kubernetes.io/version: {{ .root.Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "skyclust.natsUrl" -}}
{{- if .Values.nats.deploy -}}
nats://skyclust-nats.{{ include "skyclust.namespace" . }}.svc:4222
{{- else -}}
{{ .Values.nats.url }}
{{- end -}}
{{- end -}}

{{/* The container of a service (its Deployment or one of its Jobs); call with
     (dict "root" $ "name" $name "svc" $svc "args" (list ...)). */}}
{{- define "skyclust.container" -}}
{{- $root := .root -}}
name: {{ .name }}
image: "{{ $root.Values.image.registry }}/skyclust-{{ .name }}:{{ $root.Values.image.tag }}"
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
command: ["python3", "-m", {{ include "skyclust.package" .name | quote }}]
{{- with .args }}
args: {{ toJson . }}
{{- end }}
envFrom:
  {{- if not .hook }}
  - configMapRef:
      name: skyclust-{{ .name }}
  {{- end }}
  # SKYCLUST_DATABASE_URL, SKYCLUST_NATS_PASSWORD and the service's own keys.
  - secretRef:
      name: {{ .svc.secret | default (printf "skyclust-%s" .name) }}
{{- $env := .env | default list }}
{{- if .hook }}
{{- /* A hook runs before the release's ConfigMaps exist: its settings are inline. */}}
{{- $env = prepend $env (dict "name" "SKYCLUST_NATS_URL" "value" (include "skyclust.natsUrl" $root)) }}
{{- end }}
{{- with $env }}
env: {{ toYaml . | nindent 2 }}
{{- end }}
resources: {{ toYaml (.svc.resources | default $root.Values.resources) | nindent 2 }}
securityContext:
  runAsNonRoot: true
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  capabilities:
    drop: [ALL]
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end -}}

{{- define "skyclust.podSecurity" -}}
automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end -}}
