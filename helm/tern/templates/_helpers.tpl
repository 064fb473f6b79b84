{{/*
Names, labels and shared pieces of the Tern chart.
*/}}

{{/* Chart name, overridable. */}}
{{- define "tern.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-wide prefix of every object name. */}}
{{- define "tern.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "tern.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "tern.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of one service's objects; call with (dict "root" $ "service" "network"). */}}
{{- define "tern.serviceFullname" -}}
{{- printf "%s-%s" (include "tern.fullname" .root) .service | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "tern.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "tern.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tern
{{- end -}}

{{/* Selector labels of one service's pods; call with (dict "root" $ "service" "network"). */}}
{{- define "tern.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tern.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{/* All labels of one service's objects. */}}
{{- define "tern.serviceLabels" -}}
{{ include "tern.labels" .root }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{/* The image reference; the tag defaults to the chart's appVersion. */}}
{{- define "tern.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret holding passwords, the KEK and NATS credentials. */}}
{{- define "tern.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- include "tern.fullname" . -}}
{{- end -}}
{{- end -}}

{{/*
One TOML value. Helm reads every YAML number as a float, so whole numbers are printed
without a fraction: `pool_max_size = 16`, not `16.0`, which an integer key would reject.
*/}}
{{- define "tern.tomlValue" -}}
{{- if kindIs "float64" . -}}
{{- if eq (floor .) . }}{{ int64 . }}{{ else }}{{ . }}{{ end -}}
{{- else if kindIs "slice" . -}}
[{{ range $idx, $item := . }}{{ if $idx }}, {{ end }}{{ include "tern.tomlValue" $item }}{{ end }}]
{{- else -}}
{{- toJson . -}}
{{- end -}}
{{- end -}}

{{/* One TOML table and its sub-tables; call with (dict "path" "network" "table" $map). */}}
{{- define "tern.tomlTable" -}}
[{{ .path }}]
{{- range $key, $value := .table }}
{{- if and (not (kindIs "map" $value)) (not (kindIs "invalid" $value)) }}
{{ $key }} = {{ include "tern.tomlValue" $value }}
{{- end }}
{{- end }}
{{- $path := .path }}
{{- range $key, $value := .table }}
{{- if kindIs "map" $value }}

{{ include "tern.tomlTable" (dict "path" (printf "%s.%s" $path $key) "table" $value) }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Connection URLs of the optional in-cluster servers, used when the matching subchart is on.
They win over `config`, which holds the external servers' URLs.
*/}}
{{- define "tern.dependencyEnv" -}}
{{- if .Values.postgresql.enabled }}
- name: TERN_POSTGRES__URL
  value: {{ printf "postgresql://%s@%s-postgresql:5432/%s" .Values.postgresql.auth.username .Release.Name .Values.postgresql.auth.database | quote }}
{{- end }}
{{- if .Values.redis.enabled }}
- name: TERN_REDIS__URL
  value: {{ printf "redis://%s-redis-master:6379" .Release.Name | quote }}
{{- end }}
{{- if .Values.nats.enabled }}
- name: TERN_NATS__URL
  value: {{ printf "nats://%s-nats:4222" .Release.Name | quote }}
{{- end }}
{{- end -}}

{{/*
Secret environment of one service; call with (dict "root" $ "service" "join").
References to keys a deployment may leave out are optional, so the Secret holds only what
it uses; the KEK is required by the services that need it.
*/}}
{{- define "tern.secretEnv" -}}
{{- $root := .root -}}
{{- $secret := include "tern.secretName" $root -}}
{{- $keys := $root.Values.secrets.keys -}}
{{- if $root.Values.postgresql.enabled }}
- name: TERN_POSTGRES__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-postgresql" $root.Release.Name }}
      key: password
{{- else }}
- name: TERN_POSTGRES__URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.postgresUrl }}
      optional: true
- name: TERN_POSTGRES__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.postgresPassword }}
      optional: true
{{- end }}
{{- if $root.Values.redis.enabled }}
- name: TERN_REDIS__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-redis" $root.Release.Name }}
      key: redis-password
{{- else }}
- name: TERN_REDIS__URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.redisUrl }}
      optional: true
- name: TERN_REDIS__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.redisPassword }}
      optional: true
{{- end }}
- name: TERN_NATS__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.natsPassword }}
      optional: true
{{- if $root.Values.secrets.natsCredentials }}
- name: TERN_NATS__CREDENTIALS_FILE
  value: /etc/tern/nats/nats.creds
{{- end }}
{{- /* The identity service wraps the AppSKeys of ABP activations under the KEK. */}}
{{- if has .service (list "join" "application" "identity") }}
- name: TERN_JOIN__KEK
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.kek }}
{{- end }}
{{- end -}}
