package action

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pipegen/pipegen/internal/cache"
	"github.com/pipegen/pipegen/internal/spool"
	"github.com/pipegen/pipegen/pkg/yamldoc"
)

// A streaming build keeps each pipeline's decoded value in a spool file from the moment it is
// rendered until it is prepared and planned, and each planned document in the spool until it
// is written: memory holds names, ids and ETags, whatever the number of pipelines.

// spoolValue decodes the rendered text (or takes the decoding from the cache) into the spool.
// The error is an input problem (invalid YAML) or a failure to write the spool.
func (p *Pipeline) spoolValue(sp *spool.File, decoded *cache.Decoded, slot string) error {
	payload, hit := decoded.GetPayload(slot, p.text)
	if !hit {
		v, err := p.decodeYAML()
		if err != nil {
			return err
		}
		var ok bool
		if payload, ok = cache.EncodeValue(v); !ok {
			// Not a value the binary form holds (pkg/yamldoc makes none): kept in memory.
			p.raw = v
			p.setName(v)
			return nil
		}
		decoded.PutPayload(slot, p.text, payload)
	}
	ref, err := sp.Put(payload)
	if err != nil {
		return fmt.Errorf("render %s: %w", p.Source, err)
	}
	if n, ok := cache.TopString(payload, "name"); ok {
		p.Name = strings.TrimSpace(n)
	}
	p.hasRefs = bytes.Contains(p.text, []byte(idPlaceholder))
	p.sp, p.value, p.spooled, p.text = sp, ref, true, nil
	return nil
}

// decodeYAML decodes the rendered text; the error is an input problem at its template line.
func (p *Pipeline) decodeYAML() (any, error) {
	v, err := yamldoc.Decode(p.text)
	if err != nil {
		var ye *yamldoc.Error
		if errors.As(err, &ye) {
			return nil, p.problem(ye.Line, "the rendered YAML is invalid: "+ye.Msg)
		}
		return nil, p.problem(0, err.Error())
	}
	return v, nil
}

// setName takes the pipeline's name from its decoded value.
func (p *Pipeline) setName(v any) {
	if m, ok := v.(map[string]any); ok {
		if n, ok := m["name"].(string); ok {
			p.Name = strings.TrimSpace(n)
		}
	}
}

// rawValue is the decoded value to prepare: a new copy for a spooled pipeline.
func (p *Pipeline) rawValue() (any, error) {
	if !p.spooled {
		return p.raw, nil
	}
	b, err := p.sp.Get(p.value)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", p.Source, err)
	}
	v, err := cache.DecodeValue(b)
	if err != nil {
		return nil, fmt.Errorf("render %s: read back the decoded value: %w", p.Source, err)
	}
	return v, nil
}

// spooledDoc is a plan item's document held in the spool (plan.DocSource).
type spooledDoc struct {
	sp  *spool.File
	ref spool.Ref
}

func (d spooledDoc) Document() (map[string]any, error) {
	b, err := d.sp.Get(d.ref)
	if err != nil {
		return nil, err
	}
	v, err := cache.DecodeValue(b)
	if err != nil {
		return nil, fmt.Errorf("read back a planned document: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("read back a planned document: not an object")
	}
	return m, nil
}

// spoolDoc puts doc in the spool; ok is false when the binary form cannot hold it.
func spoolDoc(sp *spool.File, doc map[string]any) (spooledDoc, bool, error) {
	b, ok := cache.EncodeValue(doc)
	if !ok {
		return spooledDoc{}, false, nil
	}
	ref, err := sp.Put(b)
	if err != nil {
		return spooledDoc{}, false, err
	}
	return spooledDoc{sp: sp, ref: ref}, true, nil
}
